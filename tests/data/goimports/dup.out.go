package a

import (
	"fmt"

	"k8s.io/client-go/rest"

	"example.com/kssample/api"
	"example.com/kssample/pkg/generated/clientset/versioned"
)
