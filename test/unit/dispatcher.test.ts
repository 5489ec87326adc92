import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Dispatcher } from '../../src/delivery/dispatcher.js'
import type { DeliveryObserver, Publisher } from '../../src/delivery/dispatcher.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { ManualClock } from '../helpers/manual-clock.js'

interface Sent {
  topic: string
  payload: string
  done: (err?: Error) => void
}

/** A publisher with a window of `room` messages; the test acks what it sent by hand. */
class FakePublisher implements Publisher {
  connected = true
  window: number
  sent: Sent[] = []
  limitedCalls = 0
  #outstanding = 0

  constructor(window: number) {
    this.window = window
  }

  room(): number {
    return Math.max(0, this.window - this.#outstanding)
  }

  limited(): void {
    this.limitedCalls++
  }

  publish(topic: string, payload: Buffer, done: (err?: Error) => void): void {
    this.#outstanding++
    this.sent.push({
      topic,
      payload: payload.toString(),
      done: (err) => {
        this.#outstanding--
        done(err)
      },
    })
  }

  batch(fn: () => void): void {
    fn()
  }

  /** Acks the oldest `n` unacked publishes (or fails them with `err`). */
  ack(n: number, err?: Error): void {
    const open = this.sent.filter((s) => !(s as { acked?: boolean }).acked).slice(0, n)
    for (const s of open) {
      ;(s as { acked?: boolean }).acked = true
      s.done(err)
    }
  }

  payloads(topicPrefix = ''): string[] {
    return this.sent.filter((s) => s.topic.startsWith(topicPrefix)).map((s) => s.payload)
  }
}

interface World {
  store: MemoryStore
  dispatcher: Dispatcher
  publisher: FakePublisher
  delivered: string[]
  rejected: string[]
  add: (route: string, n: number) => void
  clock: ManualClock
}

async function setUp(routes: Array<{ id: string; priority: number }>, window: number, options: { drainOnStop?: boolean } = {}): Promise<World> {
  const store = new MemoryStore({ maxBytes: 1024 ** 3, overflow: 'drop_oldest', maxAgeMs: 0 })
  await store.open({ available: () => undefined, dropped: () => undefined })
  const delivered: string[] = []
  const rejected: string[] = []
  const observer: DeliveryObserver = {
    delivered: (route, m) => delivered.push(`${route}:${m.payload.toString()}`),
    rejected: (route, m) => rejected.push(`${route}:${m.payload.toString()}`),
  }
  const clock = new ManualClock()
  const dispatcher = new Dispatcher(store, observer, { clock, ...options })
  dispatcher.setRoutes(routes)
  const publisher = new FakePublisher(window)
  dispatcher.setPublisher(publisher)
  const counters = new Map<string, number>()
  const add = (route: string, n: number): void => {
    for (let i = 0; i < n; i++) {
      const k = counters.get(route) ?? 0
      counters.set(route, k + 1)
      store.append(route, `t/${route}`, Buffer.from(String(k)), 0)
    }
  }
  return { store, dispatcher, publisher, delivered, rejected, add, clock }
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i))

describe('dispatcher', () => {
  it('keeps the connection window full with one route, however small its workers were', async () => {
    const { dispatcher, publisher, add } = await setUp([{ id: 'a', priority: 0 }], 500)
    add('a', 2000)
    dispatcher.pump()
    assert.equal(publisher.sent.length, 500)
    assert.ok(publisher.limitedCalls > 0, 'the window was full with messages waiting, and nobody was told')
    publisher.ack(200)
    dispatcher.pump()
    assert.equal(publisher.sent.length, 700)
    assert.deepEqual(publisher.payloads(), range(0, 700))
  })

  it('sends a higher priority route first, and a lower one only once the higher has nothing queued', async () => {
    const { dispatcher, publisher, add } = await setUp(
      [
        { id: 'bulk', priority: 0 },
        { id: 'alarm', priority: 5 },
      ],
      100,
    )
    add('bulk', 300)
    add('alarm', 250)
    dispatcher.pump()
    assert.deepEqual(publisher.payloads('t/bulk'), [])
    for (let round = 0; round < 3; round++) {
      publisher.ack(100)
      dispatcher.pump()
    }
    // 250 alarms then 150 of bulk: bulk got the room only once no alarm was left.
    assert.deepEqual(publisher.payloads('t/alarm'), range(0, 250))
    assert.deepEqual(publisher.payloads('t/bulk'), range(0, 150))
    const firstBulk = publisher.sent.findIndex((s) => s.topic === 't/bulk')
    assert.equal(firstBulk, 250)
  })

  it('shares the window fairly between routes of one priority, each in its order', async () => {
    const { dispatcher, publisher, add } = await setUp(
      [
        { id: 'a', priority: 0 },
        { id: 'b', priority: 0 },
        { id: 'c', priority: 0 },
      ],
      300,
    )
    add('a', 1000)
    add('b', 1000)
    add('c', 50)
    dispatcher.pump()
    // c has 50 only: a and b share the rest.
    assert.equal(publisher.payloads('t/c').length, 50)
    assert.equal(publisher.payloads('t/a').length, 125)
    assert.equal(publisher.payloads('t/b').length, 125)
    for (let round = 0; round < 10; round++) {
      publisher.ack(150)
      dispatcher.pump()
    }
    const a = publisher.payloads('t/a')
    const b = publisher.payloads('t/b')
    assert.ok(Math.abs(a.length - b.length) <= 2, `a ${a.length} b ${b.length}`)
    assert.deepEqual(a, range(0, a.length))
    assert.deepEqual(b, range(0, b.length))
  })

  it('sends a message whose publish failed again, ahead of those after it', async () => {
    const { dispatcher, publisher, add, delivered } = await setUp([{ id: 'a', priority: 0 }], 10)
    add('a', 20)
    dispatcher.pump()
    publisher.ack(3)
    publisher.ack(2, new Error('written to a closed connection'))
    publisher.ack(5)
    dispatcher.pump()
    assert.deepEqual(publisher.payloads().slice(10, 12), ['3', '4'])
    publisher.ack(100)
    dispatcher.pump()
    publisher.ack(100)
    assert.deepEqual(delivered.map((d) => d.split(':')[1]).sort((x, y) => Number(x) - Number(y)), range(0, 20))
  })

  it('removes and reports a message the broker refused with a reason code, and goes on', async () => {
    const { dispatcher, publisher, add, delivered, rejected, store } = await setUp([{ id: 'a', priority: 0 }], 10)
    add('a', 3)
    dispatcher.pump()
    publisher.ack(1)
    publisher.ack(1, Object.assign(new Error('Publish error: Packet too large'), { code: 0x95 }))
    publisher.ack(1)
    assert.deepEqual(rejected, ['a:1'])
    assert.deepEqual(delivered, ['a:0', 'a:2'])
    assert.equal(store.stats('a').messages, 0)
  })

  it('queues what a replaced connection had in flight again, in order, for the new one', async () => {
    const { dispatcher, publisher, add } = await setUp([{ id: 'a', priority: 0 }], 5)
    add('a', 8)
    dispatcher.pump()
    publisher.ack(2)
    const next = new FakePublisher(100)
    dispatcher.setPublisher(next)
    dispatcher.pump()
    assert.deepEqual(next.payloads(), range(2, 8))
    // Callbacks of the old connection no longer count.
    publisher.ack(10)
    assert.equal(dispatcher.inFlight(), 6)
  })

  it('sends nothing while the publisher is not ready', async () => {
    const { dispatcher, publisher, add } = await setUp([{ id: 'a', priority: 0 }], 5)
    publisher.connected = false
    add('a', 3)
    dispatcher.pump()
    assert.equal(publisher.sent.length, 0)
    publisher.connected = true
    dispatcher.pump()
    assert.equal(publisher.sent.length, 3)
  })
})

// Issue 12: time and the broker are injected, so the window, priority and pause logic run without a broker or a sleep.
describe('dispatcher: time, priority and connections', () => {
  it('measures how long messages wait for an ack on the injected clock, restarting at each ack', async () => {
    const { dispatcher, publisher, add, clock } = await setUp([{ id: 'a', priority: 0 }], 10)
    assert.equal(dispatcher.ackWaitMs(), 0, 'nothing in flight')
    add('a', 3)
    dispatcher.pump()
    clock.advance(1500)
    assert.equal(dispatcher.ackWaitMs(), 1500)
    publisher.ack(1)
    assert.equal(dispatcher.ackWaitMs(), 0, 'an ack restarts the wait')
    clock.advance(200)
    assert.equal(dispatcher.ackWaitMs(), 200)
    publisher.ack(2)
    clock.advance(10_000)
    assert.equal(dispatcher.ackWaitMs(), 0, 'nothing in flight any more')
  })

  it('starves a lower priority while a higher one keeps getting new messages', async () => {
    const { dispatcher, publisher, add } = await setUp(
      [
        { id: 'low', priority: 1 },
        { id: 'high', priority: 9 },
      ],
      10,
    )
    add('low', 50)
    add('high', 10)
    for (let round = 0; round < 5; round++) {
      dispatcher.pump()
      publisher.ack(10)
      add('high', 10) // the high route never runs dry
    }
    assert.deepEqual(publisher.payloads('t/low'), [])
    assert.equal(publisher.payloads('t/high').length, 50)
    // Once the high route has nothing queued, the low one gets the whole window.
    dispatcher.pump()
    publisher.ack(10)
    dispatcher.pump()
    assert.deepEqual(publisher.payloads('t/low'), range(0, 10))
  })

  it('rotates the leftover of a fair split, so that no route of a level is always last', async () => {
    const { dispatcher, publisher, add } = await setUp(
      [
        { id: 'a', priority: 0 },
        { id: 'b', priority: 0 },
        { id: 'c', priority: 0 },
      ],
      10,
    )
    add('a', 100)
    add('b', 100)
    add('c', 100)
    const firstShares: number[][] = []
    for (let pass = 0; pass < 3; pass++) {
      const before = ['a', 'b', 'c'].map((r) => publisher.payloads(`t/${r}`).length)
      dispatcher.pump()
      firstShares.push(['a', 'b', 'c'].map((r, i) => publisher.payloads(`t/${r}`).length - before[i]!))
      publisher.ack(10)
    }
    // 10 slots for 3 routes: 3 each and one more, to a different route each pass.
    for (const shares of firstShares) assert.deepEqual([...shares].sort(), [3, 3, 4])
    assert.deepEqual(['a', 'b', 'c'].map((r) => publisher.payloads(`t/${r}`).length), [10, 10, 10])
  })

  it('ignores late answers of a replaced connection: each message is delivered once, in order', async () => {
    const { dispatcher, publisher, add, delivered, store } = await setUp([{ id: 'a', priority: 0 }], 4)
    add('a', 6)
    dispatcher.pump()
    const next = new FakePublisher(100)
    dispatcher.setPublisher(next)
    dispatcher.pump()
    // The old connection answers after all: an ack, then a failure. Neither counts any more.
    publisher.ack(1)
    publisher.ack(1, new Error('written to a closed connection'))
    assert.deepEqual(delivered, [])
    assert.equal(dispatcher.inFlight('a'), 6)
    next.ack(100)
    assert.deepEqual(delivered, range(0, 6).map((n) => `a:${n}`))
    assert.equal(store.stats('a').messages, 0)
  })

  it('hands out nothing while paused, waits for the acks up to the deadline, and goes on after resume()', async () => {
    const { dispatcher, publisher, add, clock } = await setUp([{ id: 'a', priority: 0 }], 3)
    add('a', 10)
    dispatcher.pump()
    let paused = false
    const pausing = dispatcher.pause(3000).then(() => {
      paused = true
    })
    publisher.ack(3)
    dispatcher.pump()
    assert.equal(publisher.sent.length, 3, 'a paused dispatcher claimed more')
    await pausing
    assert.ok(paused, 'pause() waits only until nothing is in flight')
    dispatcher.resume()
    dispatcher.pump()
    assert.deepEqual(publisher.payloads(), range(0, 6))

    // With messages in flight that never get an answer, pause() ends at its deadline.
    let done = false
    const timedOut = dispatcher.pause(3000).then(() => {
      done = true
    })
    clock.advance(2999)
    await Promise.resolve()
    assert.equal(done, false)
    clock.advance(1)
    await timedOut
    assert.equal(dispatcher.inFlight(), 3)
  })

  it('stops at once with a durable store, and keeps sending until the deadline with a memory store', async () => {
    const durable = await setUp([{ id: 'a', priority: 0 }], 5)
    durable.add('a', 20)
    durable.dispatcher.pump()
    const stopping = durable.dispatcher.stop(5000)
    durable.publisher.ack(5)
    await stopping
    durable.dispatcher.pump()
    assert.equal(durable.publisher.sent.length, 5, 'the rest stays queued for the next run')

    const memory = await setUp([{ id: 'a', priority: 0 }], 5, { drainOnStop: true })
    memory.add('a', 20)
    memory.dispatcher.pump()
    const draining = memory.dispatcher.stop(5000)
    for (let round = 0; round < 4; round++) {
      memory.publisher.ack(5)
      memory.dispatcher.pump()
    }
    await draining
    assert.deepEqual(memory.publisher.payloads(), range(0, 20))
    assert.equal(memory.store.stats('a').messages, 0)
  })
})

// Issue 10: a message that would block the connection is dead-lettered, and the rest goes on.
describe('dispatcher: dead letters', () => {
  async function withCheck(recoveredSeq: number, maxMessageBytes = 0) {
    const { PublishLimits } = await import('../../src/mqtt-limits.js')
    const { SendCheck } = await import('../../src/delivery/send-check.js')
    const store = new MemoryStore({ maxBytes: 1024 ** 3, overflow: 'drop_oldest', maxAgeMs: 0 })
    await store.open({ available: () => undefined, dropped: () => undefined })
    const deadLettered: string[] = []
    const observer: DeliveryObserver = {
      delivered: () => undefined,
      rejected: () => undefined,
      deadLettered: (route, m, err) => deadLettered.push(`${route}:${m.payload.toString()}:${err.reason}`),
    }
    const limits = new PublishLimits({ qos: 1, protocolVersion: 4, maxMessageBytes })
    const dispatcher = new Dispatcher(store, observer, { check: new SendCheck(limits, () => recoveredSeq) })
    dispatcher.setRoutes([{ id: 'r', priority: 0 }])
    const publisher = new FakePublisher(100)
    dispatcher.setPublisher(publisher)
    return { store, dispatcher, publisher, deadLettered }
  }

  it('dead-letters a message an earlier run queued under an invalid topic, instead of publishing it', async () => {
    const { store, dispatcher, publisher, deadLettered } = await withCheck(2)
    store.append('r', 't/ok', Buffer.from('0'), 0)
    store.append('r', 't/x+y', Buffer.from('1'), 0) // seq 2: queued by an earlier run
    store.append('r', 't/x+y', Buffer.from('2'), 0) // seq 3: this run's would not get here (route.ts refuses it)
    dispatcher.pump()
    assert.deepEqual(publisher.payloads(), ['0', '2'])
    assert.deepEqual(deadLettered, ['r:1:topic'])
    assert.deepEqual(store.deadLetters().map((d) => d.topic), ['t/x+y'])
    assert.equal(dispatcher.inFlight(), 2)
  })

  it('dead-letters a message bigger than the limit known now, whenever it was queued', async () => {
    const { store, dispatcher, publisher, deadLettered } = await withCheck(0, 1000)
    store.append('r', 't', Buffer.alloc(5000, 'a'), 0)
    store.append('r', 't', Buffer.from('small'), 0)
    dispatcher.pump()
    assert.deepEqual(publisher.payloads(), ['small'])
    assert.equal(deadLettered.length, 1)
    assert.match(store.deadLetters()[0]!.detail, /the broker takes at most 1000/)
  })

  it('dead-letters a message the sink gave up on, instead of queueing it again', async () => {
    const { DeadLetterError } = await import('../../src/errors.js')
    const { store, dispatcher, publisher, deadLettered } = await withCheck(0)
    for (const text of ['a', 'b']) store.append('r', 't', Buffer.from(text), 0)
    dispatcher.pump()
    publisher.ack(1, new DeadLetterError('repeated_disconnect', 'dropped 3 times'))
    publisher.ack(1)
    dispatcher.pump()
    assert.deepEqual(deadLettered, ['r:a:repeated_disconnect'])
    assert.equal(store.stats('r').messages, 0)
    assert.equal(publisher.sent.length, 2, 'nothing was sent again')
  })
})
