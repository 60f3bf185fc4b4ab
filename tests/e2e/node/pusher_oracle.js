// Answers questions about the official Node SDK (npm `pusher`) for tests/e2e/test_oracles.py.
//
// Reads one JSON object from stdin, {"client": {...}, "ops": [{"op": ...}, ...]}, and prints a JSON array with one
// result per op. The clock is frozen at each op's "timestamp" (seconds) and requests are never sent: the SDK's fetch
// is replaced by one that records the request and answers 200 with "{}".
"use strict"

const path = require("path")

// The SDK keeps `require("node-fetch").default` when it loads, so the stub goes in before it is required.
const sdkDir = path.dirname(require.resolve("pusher/package.json"))
const nodeFetch = require(require.resolve("node-fetch", { paths: [sdkDir] }))
let captured = []
nodeFetch.default = async (url, options) => {
  captured.push({ method: options.method, url, query: url.split("?")[1], body: options.body || "" })
  return { status: 200, ok: true, json: async () => ({}), text: async () => "{}" }
}
const Pusher = require("pusher")

const realNow = Date.now

async function run(pusher, op) {
  captured = []
  Date.now = op.timestamp ? () => Number(op.timestamp) * 1000 : realNow
  const result = { op: op.op, error: null }
  try {
    switch (op.op) {
      case "sign":
        result.query = pusher.createSignedQueryString({
          method: op.method,
          path: op.path,
          params: op.params || undefined,
          body: op.body === null ? undefined : op.body,
        })
        break
      case "trigger":
        await pusher.trigger(op.channels, op.event, op.data, op.params || undefined)
        break
      case "trigger_batch":
        await pusher.triggerBatch(op.batch)
        break
      case "send_to_user":
        await pusher.sendToUser(op.user_id, op.event, op.data)
        break
      case "terminate":
        await pusher.terminateUserConnections(op.user_id)
        break
      case "get":
        await pusher.get({ path: op.path, params: op.params || undefined })
        break
      case "authorize_channel":
        result.response = pusher.authorizeChannel(op.socket_id, op.channel, op.channel_data || undefined)
        break
      case "authenticate_user":
        result.response = pusher.authenticateUser(op.socket_id, op.user_data)
        break
      case "shared_secret":
        result.shared_secret = Buffer.from(pusher.channelSharedSecret(op.channel)).toString("base64")
        break
      case "webhook": {
        const webhook = pusher.webhook({ headers: op.headers, rawBody: op.body })
        result.valid = webhook.isValid()
        if (result.valid) result.data = webhook.getData()
        break
      }
      default:
        throw new Error(`unknown op ${op.op}`)
    }
  } catch (error) {
    result.error = String(error && error.message ? error.message : error)
  } finally {
    Date.now = realNow
  }
  result.requests = captured
  return result
}

async function main() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"))
  const config = input.client
  const [host, port] = config.host.split(":") // host[:port], as the Go SDK takes it
  const pusher = new Pusher({
    appId: config.app_id,
    key: config.key,
    secret: config.secret,
    host,
    port: port ? Number(port) : undefined,
    useTLS: false,
    encryptionMasterKeyBase64: config.encryption_master_key_base64,
  })
  const results = []
  for (const op of input.ops) results.push(await run(pusher, op))
  process.stdout.write(JSON.stringify(results) + "\n")
}

main().catch((error) => {
  process.stderr.write(`pusher_oracle.js: ${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
