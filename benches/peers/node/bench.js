// The Node side of the pusher-fast throughput benchmark (python -m benches.throughput): the official Node SDK (npm
// `pusher` 5.3.4, from the e2e suite's install on NODE_PATH) at its best, with a keep-alive http.Agent holding as
// many sockets as there are requests in flight.
//
//   node bench.js --op trigger|batch --port P --concurrency C --requests N --max-seconds S --app-id A --key K --secret X
//
// Op "trigger" awaits pusher.trigger once per request; op "batch" awaits pusher.triggerBatch with 10 events per
// request; C such calls are in flight at once (C = 1: one after the other). Each answer's body is read (so that its
// socket goes back to the agent) and must be the sink's "{}". The events are the benchmark's: {"id": 1, "message":
// "hello world", "price": 12.5} on channels bench-0 .. bench-63. C warm-up requests open the connections first; then
// up to N requests are timed, stopping early after S seconds. Any failure exits with status 1. It prints one JSON
// object: {"requests", "events", "seconds", "warmup_requests"}.
"use strict"

const http = require("http")
const Pusher = require("pusher")

const CHANNELS = Array.from({ length: 64 }, (_, i) => `bench-${i}`)
const EVENT = "bench-event"
const DATA = { id: 1, message: "hello world", price: 12.5 }
const BATCH_SIZE = 10

function parseArgs(argv) {
  const options = {}
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
      throw new Error(`bad arguments near ${JSON.stringify(argv[i])}`)
    }
    options[argv[i].slice(2)] = argv[i + 1]
  }
  const numbers = {}
  for (const name of ["port", "concurrency", "requests", "max-seconds"]) {
    numbers[name] = Number(options[name])
    if (!(numbers[name] > 0)) {
      throw new Error(`--${name} must be a positive number, got ${JSON.stringify(options[name])}`)
    }
  }
  if (!["trigger", "batch"].includes(options.op)) {
    throw new Error(`--op must be trigger or batch, got ${JSON.stringify(options.op)}`)
  }
  return { ...options, ...numbers }
}

async function expectEmptyObject(response) {
  const body = await response.text()
  if (body !== "{}") {
    throw new Error(`the sink answered ${JSON.stringify(body)}, not {}`)
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const concurrency = options.concurrency
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency })
  const pusher = new Pusher({
    appId: options["app-id"],
    key: options.key,
    secret: options.secret,
    host: "127.0.0.1",
    port: options.port,
    useTLS: false,
    agent,
  })
  const eventsPerRequest = options.op === "batch" ? BATCH_SIZE : 1
  const send =
    options.op === "trigger"
      ? async (i) => expectEmptyObject(await pusher.trigger(CHANNELS[i % CHANNELS.length], EVENT, DATA))
      : async (i) => {
          const batch = []
          for (let k = 0; k < BATCH_SIZE; k++) {
            batch.push({ channel: CHANNELS[(i * BATCH_SIZE + k) % CHANNELS.length], name: EVENT, data: DATA })
          }
          await expectEmptyObject(await pusher.triggerBatch(batch))
        }

  await Promise.all(Array.from({ length: concurrency }, () => send(0)))

  let next = 0
  let done = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(options["max-seconds"] * 1e9))
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= options.requests || process.hrtime.bigint() > deadline) {
        return
      }
      await send(i)
      done++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  agent.destroy()
  process.stdout.write(
    JSON.stringify({ requests: done, events: done * eventsPerRequest, seconds, warmup_requests: concurrency }) + "\n"
  )
}

main().catch((error) => {
  process.stderr.write(`pusher-node-bench: ${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
