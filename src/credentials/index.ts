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
