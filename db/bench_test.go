package db

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkWriteTx measures write transactions per second through the handle,
// one small insert per transaction.
//
//	go test ./db -run '^$' -bench WriteTx
func BenchmarkWriteTx(b *testing.B) {
	for _, mode := range []string{"normal", "full"} {
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("sync=%s/writers=%d", mode, writers), func(b *testing.B) {
				d := mustOpen(b, Options{Synchronous: mode})
				ctx := context.Background()
				var next atomic.Int64
				b.ResetTimer()
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							if err := insertItem(ctx, d, w, 1); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			})
		}
	}
}

// BenchmarkPointRead measures primary-key reads per second from 1, 2 and 4
// concurrent readers while a writer commits in a loop beside them.
//
//	go test ./db -run '^$' -bench PointRead
func BenchmarkPointRead(b *testing.B) {
	for _, readers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			d := mustOpen(b, Options{ReadConns: 4})
			ctx := context.Background()
			const rows = 10000
			if err := d.WriteTx(ctx, func(tx *Tx) error {
				for i := range rows {
					if _, err := tx.ExecContext(ctx, "INSERT INTO items (id, owner, n, body) VALUES (?, 1, ?, 'some body text')", i+1, i); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			stop := make(chan struct{})
			var writes atomic.Int64
			writerDone := make(chan struct{})
			go func() {
				defer close(writerDone)
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := insertItem(ctx, d, 2, 1); err != nil {
						b.Error(err)
						return
					}
					writes.Add(1)
				}
			}()
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for r := range readers {
				wg.Go(func() {
					var n int
					var body string
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						id := (i*7919+int64(r))%rows + 1
						if err := d.QueryRowContext(ctx, "SELECT n, body FROM items WHERE id = ?", id).Scan(&n, &body); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			close(stop)
			<-writerDone
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
			b.ReportMetric(float64(writes.Load())/b.Elapsed().Seconds(), "writes/s")
		})
	}
}
