package demo

import (
	"database/sql"
	"fmt"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// MySQLEnv returns the variables the pipeline files reference for the
// demo database: SLKC_DEMO_MYSQL_URL (jdbc:mysql://host:port/database on
// the server of dsn), SLKC_DEMO_MYSQL_USER and SLKC_DEMO_MYSQL_PASSWORD.
// In AWS the same keys would hold ${secretsmanager:...} references instead.
func MySQLEnv(dsn, database string) (map[string]string, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("demo: MySQL DSN: %w", err)
	}
	return map[string]string{
		"SLKC_DEMO_MYSQL_URL":      "jdbc:mysql://" + cfg.Addr + "/" + database,
		"SLKC_DEMO_MYSQL_USER":     cfg.User,
		"SLKC_DEMO_MYSQL_PASSWORD": cfg.Passwd,
	}, nil
}

// OpenMySQL opens the demo's own connection pool on the server of dsn
// (its database part is dropped: the demo drops and recreates databases
// and always qualifies table names), with parseTime, UTC and a UTC
// session time zone, and checks that the server answers.
func OpenMySQL(dsn string) (*sql.DB, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("demo: MySQL DSN: %w", err)
	}
	cfg.DBName = ""
	cfg.ParseTime, cfg.Loc = true, time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("demo: open MySQL at %s: %w", cfg.Addr, err)
	}
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("demo: MySQL at %s: %w", cfg.Addr, err)
	}
	return db, nil
}
