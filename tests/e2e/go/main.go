// Command pusher-go-oracle answers questions about the official Go SDK, github.com/pusher/pusher-http-go/v5, for the
// pusher-fast end-to-end suite (tests/e2e/test_oracles.py).
//
// It reads one JSON object from stdin, {"client": {...}, "ops": [{"op": ...}, ...]}, and prints one JSON array with
// a result per op. Requests are never sent: a RoundTripper captures what the SDK would send and answers 200.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	_ "unsafe" // for go:linkname

	pusher "github.com/pusher/pusher-http-go/v5"
)

// signRequestURL is the SDK's own request signer (unexported), so a body can be signed byte for byte as given.
// The public calls always encode the body themselves, compactly; pusher-fast keeps the Python SDK's spaced JSON.
//
//go:linkname signRequestURL github.com/pusher/pusher-http-go/v5.createRequestURL
func signRequestURL(method, host, path, key, secret, timestamp string, secure bool, body []byte,
	parameters map[string]string, cluster string) (string, error)

type clientConfig struct {
	AppID     string `json:"app_id"`
	Key       string `json:"key"`
	Secret    string `json:"secret"`
	Host      string `json:"host"`
	MasterKey string `json:"encryption_master_key_base64"`
}

type op struct {
	Op        string                 `json:"op"`
	Method    string                 `json:"method"`
	Path      string                 `json:"path"`
	Params    map[string]string      `json:"params"`
	Body      *string                `json:"body"`
	Timestamp string                 `json:"timestamp"`
	Channel   string                 `json:"channel"`
	Channels  []string               `json:"channels"`
	Event     string                 `json:"event"`
	Data      *string                `json:"data"`
	SocketID  *string                `json:"socket_id"`
	Info      *string                `json:"info"`
	Prefix    *string                `json:"prefix"`
	UserID    string                 `json:"user_id"`
	UserInfo  map[string]string      `json:"user_info"`
	UserData  map[string]interface{} `json:"user_data"`
	Batch     []batchEvent           `json:"batch"`
	Headers   map[string][]string    `json:"headers"`
}

type batchEvent struct {
	Channel  string  `json:"channel"`
	Name     string  `json:"name"`
	Data     string  `json:"data"`
	SocketID *string `json:"socket_id"`
	Info     *string `json:"info"`
}

type captured struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Query  string `json:"query"`
	Body   string `json:"body"`
}

// capture records each request and answers it with an empty JSON object.
type capture struct{ requests []captured }

func newCapture() *capture { return &capture{requests: []captured{}} }

func (c *capture) RoundTrip(request *http.Request) (*http.Response, error) {
	body := []byte{}
	if request.Body != nil {
		read, err := io.ReadAll(request.Body)
		if err != nil {
			return nil, err
		}
		body = read
	}
	c.requests = append(c.requests, captured{
		Method: request.Method, URL: request.URL.String(), Query: request.URL.RawQuery, Body: string(body),
	})
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewBufferString("{}")), Request: request,
	}, nil
}

func main() {
	var input struct {
		Client clientConfig `json:"client"`
		Ops    []op         `json:"ops"`
	}
	decoder := json.NewDecoder(os.Stdin)
	decoder.UseNumber()
	if err := decoder.Decode(&input); err != nil {
		fail(err)
	}
	results := make([]map[string]interface{}, 0, len(input.Ops))
	for _, o := range input.Ops {
		results = append(results, run(input.Client, o))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pusher-go-oracle:", err)
	os.Exit(1)
}

func newClient(config clientConfig, transport *capture) *pusher.Client {
	return &pusher.Client{
		AppID: config.AppID, Key: config.Key, Secret: config.Secret, Host: config.Host,
		EncryptionMasterKeyBase64: config.MasterKey, HTTPClient: &http.Client{Transport: transport},
	}
}

func errorText(err error) interface{} {
	if err == nil {
		return nil
	}
	return err.Error()
}

func run(config clientConfig, o op) map[string]interface{} {
	transport := newCapture()
	client := newClient(config, transport)
	result := map[string]interface{}{"op": o.Op}
	var err error
	switch o.Op {
	case "sign":
		var body []byte
		if o.Body != nil {
			body = []byte(*o.Body)
		}
		var signed string
		signed, err = signRequestURL(o.Method, config.Host, o.Path, config.Key, config.Secret, o.Timestamp, false,
			body, o.Params, "")
		if err == nil {
			parsed, parseErr := url.Parse(signed)
			if parseErr != nil {
				fail(parseErr)
			}
			result["query"] = parsed.RawQuery
		}
	case "trigger":
		_, err = client.TriggerMultiWithParams(o.Channels, o.Event, *o.Data,
			pusher.TriggerParams{SocketID: o.SocketID, Info: o.Info})
	case "trigger_batch":
		batch := make([]pusher.Event, 0, len(o.Batch))
		for _, event := range o.Batch {
			batch = append(batch, pusher.Event{
				Channel: event.Channel, Name: event.Name, Data: event.Data, SocketID: event.SocketID, Info: event.Info,
			})
		}
		_, err = client.TriggerBatch(batch)
	case "send_to_user":
		err = client.SendToUser(o.UserID, o.Event, *o.Data)
	case "channels":
		_, err = client.Channels(pusher.ChannelsParams{FilterByPrefix: o.Prefix, Info: o.Info})
	case "channel":
		_, err = client.Channel(o.Channel, pusher.ChannelParams{Info: o.Info})
	case "users":
		_, err = client.GetChannelUsers(o.Channel)
	case "authorize_channel":
		params := []byte(url.Values{"channel_name": {o.Channel}, "socket_id": {*o.SocketID}}.Encode())
		var response []byte
		if o.UserID != "" {
			response, err = client.AuthorizePresenceChannel(params,
				pusher.MemberData{UserID: o.UserID, UserInfo: o.UserInfo})
		} else {
			response, err = client.AuthorizePrivateChannel(params)
		}
		if err == nil {
			result["response"] = json.RawMessage(response)
		}
	case "authenticate_user":
		params := []byte(url.Values{"socket_id": {*o.SocketID}}.Encode())
		var response []byte
		response, err = client.AuthenticateUser(params, o.UserData)
		if err == nil {
			result["response"] = json.RawMessage(response)
		}
	case "webhook":
		var webhook *pusher.Webhook
		webhook, webhookErr := client.Webhook(http.Header(o.Headers), []byte(*o.Body))
		result["valid"] = webhookErr == nil
		result["reason"] = errorText(webhookErr) // a refused webhook is an answer, not a failure of the op
		if webhookErr == nil {
			result["webhook"] = webhook
		}
	default:
		fail(fmt.Errorf("unknown op %q", o.Op))
	}
	result["error"] = errorText(err)
	result["requests"] = transport.requests
	return result
}
