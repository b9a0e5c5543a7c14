// Writes cases.json: inputs and the order Go's sort.Slice leaves them in,
// with a comparison shaped like the producer's index (items without a time
// compare by name, descending; the rest by time, newest first), which is not
// a strict weak order. Run: go run gen.go > cases.json
package main

import (
	"encoding/json"
	"math/rand"
	"os"
	"sort"
)

type item struct {
	Time  int `json:"t"` // -1: no time
	Name  int `json:"n"`
	Index int `json:"i"`
}

type testCase struct {
	Items []item `json:"items"`
	Order []int  `json:"order"`
}

func main() {
	random := rand.New(rand.NewSource(1))
	var cases []testCase
	lengths := []int{0, 1, 2, 7, 8, 12, 13, 49, 50, 51, 100, 300, 1000, 2000}
	for _, length := range lengths {
		for round := 0; round < 6; round++ {
			items := make([]item, length)
			for i := range items {
				spread := 1 + random.Intn(length+1)
				if round == 0 {
					spread = 3 // many equal times
				}
				items[i] = item{Time: random.Intn(spread), Name: random.Intn(length + 1), Index: i}
				if round >= 3 && random.Intn(10) == 0 {
					items[i].Time = -1
				}
				if round == 4 {
					items[i].Time = length - i // already sorted, newest first
				}
				if round == 5 {
					items[i].Time = i // reversed
				}
			}
			input := append([]item(nil), items...)
			sort.Slice(items, func(i, j int) bool {
				if items[i].Time < 0 || items[j].Time < 0 {
					return items[i].Name > items[j].Name
				}
				return items[i].Time > items[j].Time
			})
			order := make([]int, length)
			for i, it := range items {
				order[i] = it.Index
			}
			cases = append(cases, testCase{Items: input, Order: order})
		}
	}
	encoder := json.NewEncoder(os.Stdout)
	if err := encoder.Encode(cases); err != nil {
		panic(err)
	}
}
