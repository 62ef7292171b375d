export * from "./secret";
export { PROVIDERS, SecretProvider, ProviderOptions } from "./providers";
