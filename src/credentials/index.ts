export {
  environmentFor,
  isProfile,
  profiles,
  resolveProfile,
  type Profile,
  type ProviderEnvironment,
  type ResolveProfileOptions,
} from './profiles.js'
