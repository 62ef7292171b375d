// examples/inference in Go (docs/go.md): vLLM's OpenAI-compatible server, 2 replicas behind a Service, a
// model cache shared by the replicas (ReadWriteMany), a Hugging Face token and shared memory for NCCL. The
// node selector, GPU toleration, labels and /dev/shm come from the stack's `mlkube:profiles.h100` (see
// examples/inference/Pulumi.dev.yaml).
package main

import (
	"strconv"

	"github.com/mlkube/mlkube/sdk/go/mlkube"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		model := cfg.Get("model")
		if model == "" {
			model = "meta-llama/Llama-3.1-8B-Instruct"
		}
		gpus := cfg.GetInt("gpusPerReplica")
		if gpus == 0 {
			gpus = 1
		}

		// Downloaded weights survive restarts and are shared by every replica.
		cache, err := mlkube.NewVolume(ctx, "model-cache", &mlkube.VolumeArgs{
			Size:       pulumi.String("200Gi"),
			AccessMode: mlkube.AccessModeReadWriteMany,
			MountPath:  pulumi.String("/models"),
		})
		if err != nil {
			return err
		}

		// The token reaches the pods as the env var HF_TOKEN; its value is a Pulumi secret throughout.
		provider := mlkube.SecretProviderHuggingface
		hfArgs := &mlkube.SecretArgs{Provider: &provider}
		if token, err := cfg.TrySecret("hfToken"); err == nil {
			hfArgs = &mlkube.SecretArgs{Env: pulumi.StringMap{"HF_TOKEN": token}}
		}
		hf, err := mlkube.NewSecret(ctx, "hf-token", hfArgs)
		if err != nil {
			return err
		}

		server, err := mlkube.NewCompute(ctx, "llm", &mlkube.ComputeArgs{
			Image:   pulumi.String("vllm/vllm-openai:v0.6.3"),
			Args:    pulumi.ToStringArray([]string{"--model", model, "--tensor-parallel-size", strconv.Itoa(gpus), "--port", "8000"}),
			Profile: pulumi.StringRef("h100"),
			// 2 replicas: mlkube adds a PodDisruptionBudget (maxUnavailable: 1).
			Replicas:  pulumi.IntRef(2),
			Resources: &mlkube.ResourcesArgs{Cpu: 8, Memory: pulumi.StringRef("32Gi"), Gpu: pulumi.IntRef(gpus)},
			Volumes:   []interface{}{cache},
			Secrets:   []interface{}{hf},
			Env:       map[string]interface{}{"HF_HOME": "/models/hf"},
			Ports:     []mlkube.PortSpecArgs{{Port: 80, TargetPort: pulumi.IntRef(8000), Name: pulumi.StringRef("http")}},
			// Loading the weights takes minutes: the startup probe allows 10 minutes.
			StartupProbe:                  &mlkube.ProbeSpecArgs{Path: pulumi.StringRef("/health"), Port: 8000, PeriodSeconds: pulumi.IntRef(10), FailureThreshold: pulumi.IntRef(60)},
			ReadinessProbe:                &mlkube.ProbeSpecArgs{Path: pulumi.StringRef("/health"), Port: 8000, PeriodSeconds: pulumi.IntRef(10)},
			PreStop:                       &mlkube.PreStopSpecArgs{SleepSeconds: pulumi.IntRef(10)},
			TerminationGracePeriodSeconds: pulumi.IntRef(60),
			// The image runs as root by default; the secure defaults (runAsNonRoot) need a user id.
			SecurityContext: pulumi.Map{"runAsUser": pulumi.Int(1000), "runAsGroup": pulumi.Int(1000), "fsGroup": pulumi.Int(1000)},
		})
		if err != nil {
			return err
		}

		ctx.Export("endpoint", server.Endpoint)
		ctx.Export("claim", cache.ClaimName)
		return nil
	})
}
