// kubecheck strictly decodes Kubernetes manifests (multi-document YAML, e.g. `helm template` output) into the
// typed API structs of k8s.io/api and prometheus-operator's monitoring/v1, offline. A document fails when its
// apiVersion/kind is unknown, when a field is not in the API type (unknown or misspelled fields, wrong
// nesting), when a value has the wrong type, or when a field appears twice. It prints one line per document
// (`ok <kind>/<name>` or `error <kind>/<name>: …`) and exits 1 if any document failed.
//
// Usage: kubecheck [FILE...]   (stdin when no file is given)
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, rbacv1.AddToScheme, policyv1.AddToScheme, batchv1.AddToScheme,
		networkingv1.AddToScheme, schedulingv1.AddToScheme, autoscalingv2.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

type meta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func main() {
	decoder := serializer.NewCodecFactory(newScheme(), serializer.EnableStrict).UniversalDeserializer()
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	failed, docs := 0, 0
	for _, in := range inputs {
		var r io.Reader = os.Stdin
		if in != "-" {
			f, err := os.Open(in)
			if err != nil {
				fmt.Fprintf(os.Stderr, "kubecheck: %v\n", err)
				os.Exit(2)
			}
			defer f.Close()
			r = f
		}
		yr := utilyaml.NewYAMLReader(bufio.NewReader(r))
		for {
			doc, err := yr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "kubecheck: reading %s: %v\n", in, err)
				os.Exit(2)
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			docs++
			var m meta
			if err := yaml.Unmarshal(doc, &m); err != nil {
				failed++
				fmt.Printf("error ?: not a YAML mapping: %v\n", err)
				continue
			}
			id := fmt.Sprintf("%s/%s", m.Kind, m.Metadata.Name)
			if m.Metadata.Name == "" {
				failed++
				fmt.Printf("error %s: metadata.name is missing\n", id)
				continue
			}
			if _, _, err := decoder.Decode(doc, nil, nil); err != nil {
				failed++
				fmt.Printf("error %s (%s): %v\n", id, m.APIVersion, err)
				continue
			}
			fmt.Printf("ok %s (%s)\n", id, m.APIVersion)
		}
	}
	fmt.Printf("%d documents, %d invalid\n", docs, failed)
	if failed > 0 || docs == 0 {
		os.Exit(1)
	}
}

// stripComments drops comment-only lines so a document holding only `# Source: …` counts as empty.
func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
