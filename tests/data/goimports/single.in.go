package a

import "example.com/kssample/x"

var _ = x.A
