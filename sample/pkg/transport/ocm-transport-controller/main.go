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

// Command ocm-transport-controller is the sample's stand-in for KubeStellar's transport controller.
package main

import (
	"fmt"

	controlv1alpha1 "example.com/kssample/api/control/v1alpha1"
)

func main() {
	fmt.Println("transport controller for", controlv1alpha1.GroupVersion.String())
}
