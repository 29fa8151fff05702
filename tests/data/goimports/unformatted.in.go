package a

import (
	"k8s.io/client-go/rest"
	"fmt"
)

func  f( ) {
  fmt.Println(rest.Config{})
}
