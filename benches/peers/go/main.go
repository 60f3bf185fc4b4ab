// Command pusher-go-bench is the Go side of the pusher-fast throughput benchmark (python -m benches.throughput).
//
// In "sdk" mode it publishes with the official Go SDK, github.com/pusher/pusher-http-go/v5, at its best: an
// http.Client whose keep-alive pool holds as many idle connections per host as there are goroutines. Op "trigger"
// calls Client.Trigger once per request; op "batch" calls Client.TriggerBatch with 10 events per request. The events
// are the benchmark's: {"id": 1, "message": "hello world", "price": 12.5} on channels bench-0 .. bench-63.
//
// In "raw" mode it is the load generator that measures the sink's own capacity: each goroutine holds one TCP
// connection and, in a loop, writes one pre-built request (the bytes of -request-file, built and signed by the
// benchmark) and reads its complete answer (status line, headers, Content-Length body).
//
// Every mode first sends one request per goroutine (the warm-up, which opens the connections), then times up to
// -requests requests, stopping early at -max-seconds. Any failure (a non-2xx answer, an I/O error) stops the run with
// exit status 1. It prints one JSON object: {"requests", "events", "seconds", "warmup_requests"}.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	pusher "github.com/pusher/pusher-http-go/v5"
)

const (
	channelCount = 64
	batchSize    = 10
	eventName    = "bench-event"
)

var (
	channels  [channelCount]string
	eventData = map[string]interface{}{"id": 1, "message": "hello world", "price": 12.5}
)

type settings struct {
	mode        string
	op          string
	port        int
	concurrency int
	requests    int64
	maxSeconds  float64
	requestFile string
	rawEvents   int64
	appID       string
	key         string
	secret      string
}

type result struct {
	Requests       int64   `json:"requests"`
	Events         int64   `json:"events"`
	Seconds        float64 `json:"seconds"`
	WarmupRequests int64   `json:"warmup_requests"`
}

// worker sends request number i (counted from 0); it is called from one goroutine per worker index.
type worker func(i int64) error

func main() {
	var s settings
	flag.StringVar(&s.mode, "mode", "sdk", "sdk (the official Go SDK) or raw (pre-built requests on raw connections)")
	flag.StringVar(&s.op, "op", "trigger", "sdk mode: trigger (one event a request) or batch (TriggerBatch of 10)")
	flag.IntVar(&s.port, "port", 0, "the sink's port on 127.0.0.1")
	flag.IntVar(&s.concurrency, "concurrency", 1, "goroutines, each with one request in flight")
	flag.Int64Var(&s.requests, "requests", 1000, "requests to time")
	flag.Float64Var(&s.maxSeconds, "max-seconds", 5, "stop timing after this many seconds")
	flag.StringVar(&s.requestFile, "request-file", "", "raw mode: the complete HTTP request to send")
	flag.Int64Var(&s.rawEvents, "events-per-request", 1, "raw mode: how many events the request carries")
	flag.StringVar(&s.appID, "app-id", "", "sdk mode: the app id")
	flag.StringVar(&s.key, "key", "", "sdk mode: the app key")
	flag.StringVar(&s.secret, "secret", "", "sdk mode: the app secret")
	flag.Parse()
	for i := range channels {
		channels[i] = "bench-" + strconv.Itoa(i)
	}
	out, err := run(s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pusher-go-bench:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "pusher-go-bench:", err)
		os.Exit(1)
	}
}

func run(s settings) (result, error) {
	if s.port <= 0 || s.concurrency <= 0 || s.requests <= 0 || s.maxSeconds <= 0 || s.rawEvents <= 0 {
		return result{}, errors.New("-port, -concurrency, -requests, -max-seconds and -events-per-request must be positive")
	}
	switch s.mode {
	case "sdk":
		return runSDK(s)
	case "raw":
		return runRaw(s)
	}
	return result{}, fmt.Errorf("unknown -mode %q", s.mode)
}

func runSDK(s settings) (result, error) {
	transport := &http.Transport{
		Proxy:               nil, // loopback only: never a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        s.concurrency,
		MaxIdleConnsPerHost: s.concurrency,
		IdleConnTimeout:     90 * time.Second,
	}
	client := &pusher.Client{
		AppID:      s.appID,
		Key:        s.key,
		Secret:     s.secret,
		Host:       "127.0.0.1:" + strconv.Itoa(s.port),
		Secure:     false,
		HTTPClient: &http.Client{Transport: transport, Timeout: 5 * time.Second},
	}
	var send worker
	events := int64(1)
	switch s.op {
	case "trigger":
		send = func(i int64) error {
			return client.Trigger(channels[i%channelCount], eventName, eventData)
		}
	case "batch":
		events = batchSize
		send = func(i int64) error {
			batch := make([]pusher.Event, batchSize)
			for k := range batch {
				batch[k] = pusher.Event{Channel: channels[(i*batchSize+int64(k))%channelCount], Name: eventName, Data: eventData}
			}
			_, err := client.TriggerBatch(batch)
			return err
		}
	default:
		return result{}, fmt.Errorf("unknown -op %q", s.op)
	}
	workers := make([]worker, s.concurrency)
	for w := range workers {
		workers[w] = send
	}
	return measure(s, workers, events)
}

func runRaw(s settings) (result, error) {
	request, err := os.ReadFile(s.requestFile)
	if err != nil {
		return result{}, err
	}
	if !bytes.HasPrefix(request, []byte("POST ")) {
		return result{}, errors.New("-request-file does not hold an HTTP POST request")
	}
	workers := make([]worker, s.concurrency)
	for w := range workers {
		conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(s.port))
		if err != nil {
			return result{}, err
		}
		defer conn.Close()
		reader := bufio.NewReaderSize(conn, 4096)
		workers[w] = func(int64) error {
			if _, err := conn.Write(request); err != nil {
				return err
			}
			return readResponse(reader)
		}
	}
	return measure(s, workers, s.rawEvents)
}

// readResponse reads one complete HTTP/1.1 response, which must be a 200 with a Content-Length.
func readResponse(reader *bufio.Reader) error {
	status, err := reader.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("answer %q, not 200", bytes.TrimSpace(status))
	}
	length := -1
	for {
		line, err := reader.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		name, value, found := bytes.Cut(line, []byte(":"))
		if found && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return errors.New("answer without Content-Length")
	}
	_, err = reader.Discard(length)
	return err
}

// measure runs one warm-up request on every worker, then times up to s.requests requests shared among them.
func measure(s settings, workers []worker, eventsPerRequest int64) (result, error) {
	var failure error
	var failureOnce sync.Once
	fail := func(err error) { failureOnce.Do(func() { failure = err }) }

	var group sync.WaitGroup
	for _, work := range workers {
		group.Add(1)
		go func(work worker) {
			defer group.Done()
			if err := work(0); err != nil {
				fail(fmt.Errorf("warm-up: %w", err))
			}
		}(work)
	}
	group.Wait()
	if failure != nil {
		return result{}, failure
	}

	var next, done atomic.Int64
	var stop atomic.Bool
	start := time.Now()
	deadline := start.Add(time.Duration(s.maxSeconds * float64(time.Second)))
	for _, work := range workers {
		group.Add(1)
		go func(work worker) {
			defer group.Done()
			for !stop.Load() {
				i := next.Add(1) - 1
				if i >= s.requests || time.Now().After(deadline) {
					return
				}
				if err := work(i); err != nil {
					fail(err)
					stop.Store(true)
					return
				}
				done.Add(1)
			}
		}(work)
	}
	group.Wait()
	seconds := time.Since(start).Seconds()
	if failure != nil {
		return result{}, failure
	}
	return result{
		Requests:       done.Load(),
		Events:         done.Load() * eventsPerRequest,
		Seconds:        seconds,
		WarmupRequests: int64(len(workers)),
	}, nil
}
