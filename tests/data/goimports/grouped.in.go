package a

import (
	"example.com/kssample/x"
	b "k8s.io/api/core/v1"
	"github.com/openshift/api"
	"github.com/kubestellar/kubeflex/pkg"
	"golang.org/x/y"
	"sigs.k8s.io/yaml"
	"fmt"
	_ "embed"
	. "strings"
	"context"
)

var _ = x.A
