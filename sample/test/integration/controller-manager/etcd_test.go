/*
Copyright 2024 The KubeStellar Sample Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package controllermanager is the sample's stand-in for KubeStellar's controller-manager
// integration tests: it starts the etcd found on PATH, as those tests do, and stores
// CONTROLLER_TEST_NUM_OBJECTS objects in it through etcd's JSON gateway.
package controllermanager

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// verbosity is the -v flag the integration tests take (hack/run-integration-tests.sh passes -v=5).
var verbosity = flag.Int("v", 0, "log verbosity")

func freePort(t *testing.T) int {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

func post(t *testing.T, url string, body map[string]any) map[string]any {
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s", url, response.Status)
	}
	result := map[string]any{}
	if err := json.NewDecoder(response.Body).Decode(&result); err != nil {
		t.Fatal(err)
	}
	return result
}

func startEtcd(t *testing.T) string {
	binary, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd is not on PATH: %v", err)
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	peer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	cmd := exec.Command(binary, "--data-dir", t.TempDir(),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "default="+peer)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if response, err := http.Get(client + "/health"); err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK {
				return client
			}
		}
	}
	t.Fatal("etcd did not become healthy within 30s")
	return ""
}

func TestObjectsRoundTripThroughEtcd(t *testing.T) {
	count, err := strconv.Atoi(os.Getenv("CONTROLLER_TEST_NUM_OBJECTS"))
	if err != nil || count <= 0 {
		count = 10
	}
	client := startEtcd(t)
	encode := func(text string) string { return base64.StdEncoding.EncodeToString([]byte(text)) }
	for i := 0; i < count; i++ {
		post(t, client+"/v3/kv/put", map[string]any{"key": encode(fmt.Sprintf("/objects/%04d", i)), "value": encode("x")})
	}
	result := post(t, client+"/v3/kv/range", map[string]any{
		"key": encode("/objects/"), "range_end": encode("/objects0"), "count_only": true,
	})
	if got := fmt.Sprint(result["count"]); got != strconv.Itoa(count) {
		t.Fatalf("etcd holds %s objects, want %d", got, count)
	}
	if *verbosity > 0 {
		t.Logf("stored and counted %d objects (verbosity %d)", count, *verbosity)
	}
}
