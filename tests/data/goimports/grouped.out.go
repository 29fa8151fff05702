package a

import (
	"context"
	_ "embed"
	"fmt"
	. "strings"

	"golang.org/x/y"

	b "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/openshift/api"

	"github.com/kubestellar/kubeflex/pkg"

	"example.com/kssample/x"
)

var _ = x.A
