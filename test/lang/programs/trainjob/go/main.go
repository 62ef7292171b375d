// A TrainJob in Go (docs/go.md): a dataset Volume mounted read-only through a mount spec, a scratch Volume
// deleted with the stack, a Secret injected whole and by key reference, a field reference, and `pulumi up`
// waits until the job completes. `pulumi config set backend kubeflow` runs it on the Kubeflow Trainer
// instead of a JobSet.
//
// Positions that take one of several shapes (a volume, a secret, an env value) are `interface{}` in the
// SDK: give them the SDK's Args structs (mlkube.VolumeMountSpecArgs, mlkube.SecretKeyRefArgs,
// mlkube.FieldRefArgs), a resource (*mlkube.Volume, *mlkube.Secret) or a plain string.
package main

import (
	"github.com/mlkube/mlkube/sdk/go/mlkube"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		backend := cfg.Get("backend")
		if backend == "" {
			backend = "jobset"
		}

		// ReadWriteMany: every node reads it. Kept on destroy (the default).
		data, err := mlkube.NewVolume(ctx, "data", &mlkube.VolumeArgs{
			Size: pulumi.String("1Gi"), AccessMode: mlkube.AccessModeReadWriteMany,
			StorageClass: pulumi.String("standard"), MountPath: pulumi.String("/data"),
		})
		if err != nil {
			return err
		}
		reclaim := mlkube.VolumeReclaimDelete
		scratch, err := mlkube.NewVolume(ctx, "scratch", &mlkube.VolumeArgs{
			Size: pulumi.String("1Gi"), AccessMode: mlkube.AccessModeReadWriteMany,
			StorageClass: pulumi.String("standard"), Reclaim: &reclaim,
		})
		if err != nil {
			return err
		}
		wandb, err := mlkube.NewSecret(ctx, "wandb", &mlkube.SecretArgs{
			Env: pulumi.StringMap{"WANDB_API_KEY": cfg.RequireSecret("wandbApiKey")},
		})
		if err != nil {
			return err
		}

		be := mlkube.TrainJobBackend(backend)
		job, err := mlkube.NewTrainJob(ctx, "train", &mlkube.TrainJobArgs{
			Backend:          &be,
			Image:            pulumi.String("registry.example/train:1.0"),
			Command:          pulumi.ToStringArray([]string{"torchrun"}),
			Args:             pulumi.ToStringArray([]string{"/app/train.py", "--data", "/data"}),
			NumNodes:         pulumi.IntRef(2),
			ResourcesPerNode: &mlkube.ResourcesArgs{Cpu: 1, Memory: pulumi.StringRef("1Gi")},
			Volumes:          []interface{}{mlkube.VolumeMountSpecArgs{Volume: data, ReadOnly: pulumi.BoolRef(true)}, scratch},
			Secrets:          []interface{}{wandb},
			Env: map[string]interface{}{ // (env vars reach the pod sorted by name)
				"POD_NAME": mlkube.FieldRefArgs{FieldRef: "metadata.name"},
				// TypeScript: wandb.ref("WANDB_API_KEY")
				"WANDB_KEY_COPY": mlkube.SecretKeyRefArgs{Secret: wandb, Key: "WANDB_API_KEY"},
				"WANDB_PROJECT":  "lang-test",
			},
			SecurityContext:   pulumi.Map{"runAsUser": pulumi.Int(1000)},
			WaitForCompletion: pulumi.BoolRef(true),
			Timeout:           pulumi.IntRef(300),
		})
		if err != nil {
			return err
		}

		ctx.Export("jobName", job.JobName)
		ctx.Export("jobState", job.State)
		ctx.Export("masterAddress", job.MasterAddress)
		return nil
	})
}
