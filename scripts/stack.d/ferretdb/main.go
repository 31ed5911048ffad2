// Command ferretdb-sqlite runs an embedded FerretDB (MongoDB wire protocol) with the
// SQLite backend. It is the local stand-in for the ETD source database; scripts/stack
// builds it from the Go module proxy and starts it on 127.0.0.1.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("data-dir", "", "directory for the SQLite databases")
	ping := flag.Bool("ping", false, "instead of serving, send a ping command to -listen-addr and exit 0 on ok")
	flag.Parse()
	if *ping {
		if err := pingServer(*addr); err != nil {
			log.Fatalf("ping %s: %v", *addr, err)
		}
		log.Printf("ping %s ok", *addr)
		return
	}
	if *dir == "" {
		log.Fatal("-data-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatalf("create data dir: %v", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		log.Fatalf("start ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Printf("ferretdb listening on %s, data in %s", *addr, *dir)
	if err := f.Run(ctx); err != nil {
		log.Fatalf("ferretdb: %v", err)
	}
}

// pingServer is the readiness probe: a real MongoDB-wire round trip.
func pingServer(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI("mongodb://"+addr+"/").SetServerSelectionTimeout(4*time.Second))
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	return client.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}
