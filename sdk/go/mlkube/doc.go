// Pulumi components for ML workloads on Kubernetes: Volume, Secret, Compute and TrainJob (JobSet or Kubeflow Trainer)
package mlkube
