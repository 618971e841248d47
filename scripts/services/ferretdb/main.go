// Command ferretdb runs an embedded FerretDB (SQLite handler) for local tests.
// We wrap the embeddable package because `go install .../cmd/ferretdb` panics
// on its missing build/version/version.txt when built outside FerretDB's repo.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27018", "TCP listen address")
	dataDir := flag.String("data", "", "existing directory for SQLite files")
	flag.Parse()
	if *dataDir == "" {
		slog.Error("-data is required")
		os.Exit(2)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/", // trailing slash: FerretDB wants a directory URI
	})
	if err != nil {
		slog.Error("cannot create FerretDB", "err", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	slog.Info("FerretDB listening", "uri", f.MongoDBURI())
	// Run returns once ctx is cancelled and all connections and the backend are closed.
	if err := f.Run(ctx); err != nil {
		slog.Error("FerretDB stopped with error", "err", err)
		os.Exit(1)
	}
}
