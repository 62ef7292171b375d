"""test/lang: a program mlkube must refuse with its own message (a memory quantity Kubernetes rejects)."""
import pulumi_mlkube as mlkube

mlkube.Compute("api", image="registry.example/api:1.0", resources={"cpu": "100m", "memory": "16GB"})
