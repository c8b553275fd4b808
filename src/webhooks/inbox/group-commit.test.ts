import { setImmediate as turn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { BacklogFullError, groupCommit } from './group-commit.js'

/** Two turns of the event loop: a call that just ended has made room, and the next one started. */
const nextTurn = async () => {
  await turn()
  await turn()
}

/** Limits no test here reaches; an item weighs its length. */
const roomy = {
  maxItems: 100,
  maxBytes: 1_000,
  maxWaitingBytes: 1_000,
  bytesOf: (item: string) => item.length,
}

/** A store whose calls stay out until the test ends them, one by one, in any order. */
function heldStore() {
  const calls: { items: readonly string[]; end: (error?: Error) => void }[] = []
  const store = (items: readonly string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        items,
        end: (error) => (error ? reject(error) : resolve(items.map((item) => `stored ${item}`))),
      })
    })
  return { calls, store }
}

describe('groupCommit', () => {
  it('stores what arrives in one turn in one call, and answers each caller its own part', async () => {
    const { calls, store } = heldStore()
    const commit = groupCommit(store, { ...roomy, maxInFlight: 2 })
    const a = commit(['a1', 'a2'])
    const b = commit(['b1'])
    await nextTurn()
    expect(calls.map((c) => c.items)).toEqual([['a1', 'a2', 'b1']])
    calls[0]!.end()
    expect(await a).toEqual(['stored a1', 'stored a2'])
    expect(await b).toEqual(['stored b1'])
  })

  it('holds what arrives while maxInFlight calls are out, then stores it in one call', async () => {
    const { calls, store } = heldStore()
    const commit = groupCommit(store, { ...roomy, maxInFlight: 2 })
    const first = commit(['1'])
    await nextTurn()
    const second = commit(['2'])
    await nextTurn()
    expect(calls).toHaveLength(2)
    const waiting = [commit(['3']), commit(['4'])]
    await nextTurn()
    const later = commit(['5'])
    await nextTurn()
    expect(calls).toHaveLength(2)

    calls[1]!.end()
    expect(await second).toEqual(['stored 2'])
    await nextTurn()
    expect(calls.map((c) => c.items)).toEqual([['1'], ['2'], ['3', '4', '5']])
    calls[0]!.end()
    calls[2]!.end()
    expect(await first).toEqual(['stored 1'])
    expect(await Promise.all([...waiting, later])).toEqual([
      ['stored 3'],
      ['stored 4'],
      ['stored 5'],
    ])
  })

  it.each([
    ['items', { maxItems: 3 }],
    ['bytes', { maxBytes: 6 }],
  ])('takes whole callers up to its %s a call, and a caller above them alone', async (_, limit) => {
    const { calls, store } = heldStore()
    const commit = groupCommit(store, { ...roomy, ...limit, maxInFlight: 1 })
    const callers = [['a1', 'a2'], ['b1'], ['c1', 'c2'], ['d1', 'd2', 'd3', 'd4'], ['e1']]
    const answers = callers.map((items) => commit(items))
    for (let i = 0; i < 4; i++) {
      await nextTurn()
      calls[i]?.end()
    }
    expect(await Promise.all(answers)).toEqual(
      callers.map((items) => items.map((item) => `stored ${item}`)),
    )
    expect(calls.map((c) => c.items)).toEqual([
      ['a1', 'a2', 'b1'],
      ['c1', 'c2'],
      ['d1', 'd2', 'd3', 'd4'],
      ['e1'],
    ])
  })

  it('fails only the callers of a failed call; those after it are stored', async () => {
    const { calls, store } = heldStore()
    const commit = groupCommit(store, { ...roomy, maxInFlight: 1 })
    const failed = [commit(['a']), commit(['b'])]
    await nextTurn()
    const after = commit(['c'])
    calls[0]!.end(new Error('connection lost'))
    await expect(failed[0]).rejects.toThrow('connection lost')
    await expect(failed[1]).rejects.toThrow('connection lost')
    await nextTurn()
    expect(calls.map((c) => c.items)).toEqual([['a', 'b'], ['c']])
    calls[1]!.end()
    expect(await after).toEqual(['stored c'])
  })

  it('fails the batch of a store that throws instead of rejecting, and goes on', async () => {
    let calls = 0
    const commit = groupCommit(
      (items: readonly string[]) => {
        if (calls++ === 0) throw new Error('bad batch')
        return Promise.resolve(items.map(() => 'ok'))
      },
      { ...roomy, maxInFlight: 1 },
    )
    await expect(commit(['a'])).rejects.toThrow('bad batch')
    expect(await commit(['b'])).toEqual(['ok'])
  })

  it('turns callers away at once while maxWaitingBytes wait, and takes them again once stored', async () => {
    const { calls, store } = heldStore()
    const commit = groupCommit(store, { ...roomy, maxInFlight: 1, maxWaitingBytes: 4 })
    const out = commit(['out'])
    await nextTurn()
    // Alone, a caller always waits, whatever it weighs.
    const big = commit(['large'])
    await expect(commit(['x'])).rejects.toBeInstanceOf(BacklogFullError)
    calls[0]!.end()
    await out
    await nextTurn()
    expect(calls.map((c) => c.items)).toEqual([['out'], ['large']])
    const small = [commit(['a1']), commit(['b1'])]
    await expect(commit(['c1'])).rejects.toThrow('4 bytes already wait to be stored')
    calls[1]!.end()
    await big
    await nextTurn()
    calls[2]!.end()
    expect(await Promise.all(small)).toEqual([['stored a1'], ['stored b1']])
  })
})
