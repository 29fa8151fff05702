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

// Package v1alpha1 holds the sample's control API, version v1alpha1.
// +kubebuilder:object:generate=true
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=bindingpolicies;bindings,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=bindingpolicies/status,verbs=get;update;patch
// +groupName=control.kubestellar.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion names this group and version.
	GroupVersion = schema.GroupVersion{Group: "control.kubestellar.io", Version: "v1alpha1"}

	// SchemeBuilder collects the functions that register these types.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme registers these types in a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
