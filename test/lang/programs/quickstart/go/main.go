// The quickstart in Go (docs/go.md): a model cache Volume, an API token Secret from stack config
// (`pulumi config set --secret apiToken ...`) and a small inference server.
package main

import (
	"github.com/mlkube/mlkube/sdk/go/mlkube"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		model := cfg.Get("model")
		if model == "" {
			model = "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"
		}

		// A claim for downloaded weights; kept when the stack is destroyed.
		cache, err := mlkube.NewVolume(ctx, "model-cache", &mlkube.VolumeArgs{Size: pulumi.String("20Gi")})
		if err != nil {
			return err
		}

		// The token reaches the pods as the env var API_TOKEN; its value stays a Pulumi secret.
		token, err := mlkube.NewSecret(ctx, "api-token", &mlkube.SecretArgs{
			Env: pulumi.StringMap{"API_TOKEN": cfg.RequireSecret("apiToken")},
		})
		if err != nil {
			return err
		}

		server, err := mlkube.NewCompute(ctx, "server", &mlkube.ComputeArgs{
			// llama.cpp's CPU server runs as root: runAsUser keeps mlkube's runAsNonRoot default satisfiable.
			Image:           pulumi.String("ghcr.io/ggml-org/llama.cpp:server"),
			Args:            []pulumi.StringInput{pulumi.String("-hf"), pulumi.String(model), pulumi.String("--host"), pulumi.String("0.0.0.0"), pulumi.String("--port"), pulumi.String("8000")},
			Resources:       &mlkube.ResourcesArgs{Cpu: "2", Memory: pulumi.StringRef("8Gi")},
			Volumes:         []interface{}{cache},
			Secrets:         []interface{}{token},
			Env:             map[string]interface{}{"LLAMA_CACHE": "/mnt/model-cache", "MODEL": model},
			Ports:           []mlkube.PortSpecArgs{{Port: 8000}},
			ReadinessProbe:  &mlkube.ProbeSpecArgs{Path: pulumi.StringRef("/health"), Port: 8000, PeriodSeconds: pulumi.IntRef(5)},
			SecurityContext: pulumi.Map{"runAsUser": pulumi.Int(1000)},
		})
		if err != nil {
			return err
		}

		ctx.Export("endpoint", server.Endpoint)
		ctx.Export("claim", cache.ClaimName)
		return nil
	})
}
