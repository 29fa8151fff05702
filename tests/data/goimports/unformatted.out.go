package a

import (
	"fmt"

	"k8s.io/client-go/rest"
)

func f() {
	fmt.Println(rest.Config{})
}
