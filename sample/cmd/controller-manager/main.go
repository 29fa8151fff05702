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

// Command controller-manager is the sample's stand-in for KubeStellar's controller manager:
// it registers the API in a scheme and reports the kinds it knows.
package main

import (
	"fmt"
	"os"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/pkg/version"

	controlv1alpha1 "example.com/kssample/api/control/v1alpha1"
	"example.com/kssample/pkg/crd"
)

// Version and BuildDate are set at link time (kstasks ldflags, as make ldflags).
var (
	Version   string
	BuildDate string
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		info := version.Get()
		fmt.Printf("controller-manager %s built %s (client-go %s, %s, major %s minor %s)\n",
			Version, BuildDate, info.GitVersion, info.GitTreeState, info.Major, info.Minor)
		return
	}
	scheme := runtime.NewScheme()
	if err := controlv1alpha1.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kinds := []string{}
	for gvk := range scheme.AllKnownTypes() {
		kinds = append(kinds, gvk.String())
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		fmt.Println(kind)
	}
	fmt.Printf("CRD bundle: %d bytes\n", len(crd.Bundle))
}
