import type { EnqueueOptions, Jobs } from '../jobs/index.js'
import type { Finding } from './findings.js'

/** A durable job that would set a finding right, e.g. `{ job: 'sync-customer', payload: { id } }`. */
export interface RepairAction {
  job: string
  payload: unknown
  /** Default: `key` `<job>:<finding key>`, so a second run does not queue the same repair twice. */
  options?: EnqueueOptions
  /** The finding it repairs (kind and key), filled in by the reconciler. */
  finding?: { kind: Finding['kind']; key: string | number }
}

/** Chooses the repair for a finding, or none. */
export type RepairPlanner = (finding: Finding) => RepairAction | undefined

/**
 * Collects repair actions while a run streams its findings and, unless it is a dry run,
 * enqueues them in batches (each batch all-or-none) as the run goes.
 */
export class Repairs {
  planned = 0
  enqueued = 0
  readonly samples: RepairAction[] = []
  private pending: RepairAction[] = []

  constructor(
    private readonly planner: RepairPlanner | undefined,
    private readonly jobs: Jobs | undefined,
    readonly dryRun: boolean,
    private readonly cap: number,
  ) {}

  consider(finding: Finding): void {
    const action = this.planner?.(finding)
    if (!action) return
    const full: RepairAction = {
      ...action,
      options: { key: `${action.job}:${String(finding.key)}`, ...action.options },
      finding: { kind: finding.kind, key: finding.key },
    }
    this.planned++
    if (this.samples.length < this.cap) this.samples.push(full)
    if (!this.dryRun && this.jobs) this.pending.push(full)
  }

  /** Enqueues what is pending once enough has gathered (or at the end, with `all`). */
  flush(all = false): Promise<void> | undefined {
    if (this.pending.length === 0 || (!all && this.pending.length < 100)) return undefined
    return this.enqueue()
  }

  private async enqueue(): Promise<void> {
    const batch = this.pending
    this.pending = []
    await this.jobs!.enqueueMany(
      batch.map((a) => ({
        name: a.job,
        payload: a.payload as never,
        ...(a.options && { options: a.options }),
      })),
    )
    this.enqueued += batch.length
  }
}
