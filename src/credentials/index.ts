export {
  environmentFor,
  isProfile,
  profiles,
  resolveProfile,
  type Profile,
  type ProviderEnvironment,
  type ResolveProfileOptions,
} from './profiles.js'
export {
  encryptionKeysVariable,
  keyring,
  keyringFromEnv,
  parseKeyring,
  type EncryptionKey,
  type Keyring,
  type KeyringFromEnvOptions,
  type KeySource,
} from './keyring.js'
export {
  open,
  openBytes,
  reseal,
  rotate,
  seal,
  sealedKeyId,
  type OpenOptions,
  type RotateField,
  type RotateOptions,
  type RotateReport,
  type SealOptions,
  type Sealed,
} from './sealed.js'
export { createSealer, type Sealer, type SealerOptions } from './sealed-policy.js'
export {
  isSecretKindName,
  secretKinds,
  type SecretKind,
  type SecretKindName,
  type SecretMode,
} from './kinds.js'
export {
  CredentialError,
  inspectCredentials,
  loadCredentials,
  type CredentialFinding,
  type CredentialProblem,
  type CredentialProblemType,
  type CredentialReport,
  type Credentials,
  type CredentialSchema,
  type CredentialSpec,
  type LoadCredentialsOptions,
  type LoadedCredentials,
} from './load.js'
export {
  createRedactor,
  redact,
  redactionPatterns,
  redactValue,
  sensitiveKeys,
  type RedactionPattern,
  type Redactor,
  type RedactorOptions,
} from './redact.js'
export {
  fromDotenv,
  fromEnv,
  fromSecretManager,
  fromValues,
  parseDotenv,
  type CredentialSource,
  type DotenvOptions,
  type FoundSecret,
  type SecretManagerHook,
  type SourceContext,
} from './sources.js'
