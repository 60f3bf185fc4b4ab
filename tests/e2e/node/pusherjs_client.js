// pusher-js (the official JS client, Node build) driven over stdin/stdout by tests/e2e, one JSON object per line.
//
// The test is pusher-js's auth endpoint: the custom handlers print a request ({"type": "channel_auth_request", ...}
// or {"type": "user_auth_request", ...}) and wait for the test to answer with the payload pusher_fast produced.
//
// In:  {"type":"start","key","host","port"} {"type":"subscribe","channel"} {"type":"signin"} {"type":"quit"}
//      {"type":"channel_auth","channel","payload"} {"type":"user_auth","payload"}
// Out: {"type":"connected","socket_id"} {"type":"channel_auth_request","channel","socket_id"}
//      {"type":"user_auth_request","socket_id"} {"type":"subscribed","channel"} {"type":"subscription_error",...}
//      {"type":"signin_success"} {"type":"event","channel","event","data"} {"type":"user_event","event","data"}
//      {"type":"pusher_error","data"} {"type":"state","previous","current"}
"use strict"

const readline = require("readline")
const Pusher = require("pusher-js")

const out = (message) => process.stdout.write(JSON.stringify(message) + "\n")
const pendingChannelAuth = new Map()
let pendingUserAuth = null
let client = null

function start({ key, host, port }) {
  client = new Pusher(key, {
    cluster: "local",
    wsHost: host,
    wsPort: port,
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    channelAuthorization: {
      customHandler: (params, callback) => {
        pendingChannelAuth.set(params.channelName, callback)
        out({ type: "channel_auth_request", channel: params.channelName, socket_id: params.socketId })
      },
    },
    userAuthentication: {
      customHandler: (params, callback) => {
        pendingUserAuth = callback
        out({ type: "user_auth_request", socket_id: params.socketId })
      },
    },
  })
  client.connection.bind("state_change", ({ previous, current }) => out({ type: "state", previous, current }))
  client.connection.bind("connected", () => out({ type: "connected", socket_id: client.connection.socket_id }))
  client.connection.bind("message", (message) => {
    if (message.event === "pusher:signin_success") out({ type: "signin_success" })
    if (message.event === "pusher:error") out({ type: "pusher_error", data: message.data })
  })
  client.user.bind_global((event, data) => out({ type: "user_event", event, data }))
}

function subscribe(name) {
  const channel = client.subscribe(name)
  channel.bind("pusher:subscription_succeeded", () => out({ type: "subscribed", channel: name }))
  channel.bind("pusher:subscription_error", (error) => out({ type: "subscription_error", channel: name, error }))
  channel.bind_global((event, data) => {
    if (!event.startsWith("pusher:") && !event.startsWith("pusher_internal:")) {
      out({ type: "event", channel: name, event, data })
    }
  })
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line)
  switch (message.type) {
    case "start":
      start(message)
      break
    case "subscribe":
      subscribe(message.channel)
      break
    case "signin":
      client.signin()
      break
    case "channel_auth": {
      const callback = pendingChannelAuth.get(message.channel)
      pendingChannelAuth.delete(message.channel)
      callback(null, message.payload)
      break
    }
    case "user_auth":
      pendingUserAuth(null, message.payload)
      pendingUserAuth = null
      break
    case "quit":
      if (client) client.disconnect()
      out({ type: "bye" })
      process.exit(0)
      break
    default:
      throw new Error(`unknown message type ${message.type}`)
  }
})
process.stdin.on("end", () => process.exit(0))
