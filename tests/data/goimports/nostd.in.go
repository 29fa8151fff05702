package a

import (
	"example.com/kssample/x"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var _ = x.A
var _ metav1.Time
