package a

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"example.com/kssample/x"
)

var _ = x.A
var _ metav1.Time
