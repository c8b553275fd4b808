export {
  createEmitter,
  type Emitter,
  type EventMap,
  type Events,
  type Listener,
} from './emitter.js'
