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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BindingPolicy selects workload objects and the clusters they go to.
//
// +genclient
// +genclient:nonNamespaced
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName={bp}
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type BindingPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BindingPolicySpec   `json:"spec,omitempty"`
	Status BindingPolicyStatus `json:"status,omitempty"`
}

// BindingPolicySpec says what goes where.
type BindingPolicySpec struct {
	// ClusterSelectors pick the destination clusters.
	// +optional
	ClusterSelectors []metav1.LabelSelector `json:"clusterSelectors,omitempty"`

	// Downsync lists the tests that pick workload objects.
	// +optional
	Downsync []DownsyncPolicyClause `json:"downsync,omitempty"`

	// WantSingletonReportedState asks for the single reported state of each object.
	// +optional
	WantSingletonReportedState bool `json:"wantSingletonReportedState,omitempty"`
}

// DownsyncPolicyClause picks workload objects.
type DownsyncPolicyClause struct {
	// APIGroup of the objects; empty for the core group.
	// +optional
	APIGroup *string `json:"apiGroup,omitempty"`

	// Resources are lowercase plural resource names.
	// +optional
	Resources []string `json:"resources,omitempty"`

	// Namespaces the objects live in.
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`

	// ObjectSelectors match the objects' labels.
	// +optional
	ObjectSelectors []metav1.LabelSelector `json:"objectSelectors,omitempty"`
}

// BindingPolicyStatus reports how the policy was handled.
type BindingPolicyStatus struct {
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// +kubebuilder:validation:Enum=Ready;Pending;Failed
	// +optional
	Phase string `json:"phase,omitempty"`
}

// BindingPolicyList is a list of BindingPolicy.
//
// +kubebuilder:object:root=true
type BindingPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BindingPolicy `json:"items"`
}

// Binding is the resolution of a BindingPolicy: concrete objects and clusters.
//
// +genclient
// +genclient:nonNamespaced
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName={bdg}
type Binding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec BindingSpec `json:"spec,omitempty"`
}

// BindingSpec lists what is bound where.
type BindingSpec struct {
	// Workload lists the bound objects.
	// +optional
	Workload []ObjectReference `json:"workload,omitempty"`

	// Destinations name the clusters.
	// +optional
	Destinations []Destination `json:"destinations,omitempty"`
}

// ObjectReference names one workload object.
type ObjectReference struct {
	Group    string `json:"group"`
	Version  string `json:"version"`
	Resource string `json:"resource"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// Destination names one cluster.
type Destination struct {
	// +kubebuilder:validation:MinLength=1
	ClusterID string `json:"clusterId"`
}

// BindingList is a list of Binding.
//
// +kubebuilder:object:root=true
type BindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Binding `json:"items"`
}
