package store

import (
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// docBuckets reads the bucket tree of the package doc in db.go: each
// indented line names a bucket, then says what it maps.
func docBuckets(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "db.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatal("db.go has no package doc")
	}
	tree := map[string]string{}
	for _, line := range strings.Split(f.Doc.Text(), "\n") {
		if !strings.HasPrefix(line, "\t") {
			continue
		}
		name, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		if _, dup := tree[name]; dup {
			t.Errorf("the bucket tree names %s twice", name)
		}
		tree[name] = strings.TrimSpace(rest)
	}
	if len(tree) == 0 {
		t.Fatal("no bucket tree found in the package doc of db.go")
	}
	return tree
}

// Ensure that the bucket tree in the package doc is complete and true:
// every bucket of a fresh file is written there, every bucket written there
// is in the file, and every key of meta is named on its line. A bucket
// added without a line in the doc fails here.
func TestBucketTreeDocumented(t *testing.T) {
	db := openTest(t)
	tree := docBuckets(t)
	names, err := db.BucketNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, ok := tree[n]; !ok {
			t.Errorf("bucket %s is in the file but not in the bucket tree of db.go's package doc", n)
		}
	}
	for n := range tree {
		if !slices.Contains(names, n) {
			t.Errorf("the bucket tree names %s, which Open does not create", n)
		}
	}
	err = db.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					t.Errorf("bucket %s holds a nested bucket %q the tree does not show", name, k)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).ForEach(func(k, _ []byte) error {
			if !strings.Contains(tree["meta"], string(k)+" ") {
				t.Errorf("meta key %s is not on the meta line of the bucket tree", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
