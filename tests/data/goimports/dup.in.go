package a

import (
	"k8s.io/client-go/rest"
	"fmt"
	"k8s.io/client-go/rest"
	"example.com/kssample/pkg/generated/clientset/versioned"
	"example.com/kssample/api"
)
