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

// Command kflex-get-kubeconfig is the sample's stand-in for KubeStellar's kflex-get-kubeconfig.
package main

import (
	"fmt"
	"os"
)

// Version is set at link time (make ldflags).
var Version string

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println(Version)
		return
	}
	fmt.Println("kflex-get-kubeconfig: writes the kubeconfig of a control plane")
}
