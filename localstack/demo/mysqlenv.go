package demo

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// MySQLSecretName is the Secrets Manager secret the pipeline files read
// the demo database's credentials from (${secretsmanager:slkc/demo/mysql:...}).
const MySQLSecretName = "slkc/demo/mysql"

// MySQLEnv returns the variables the pipeline files reference for the
// demo database: SLKC_DEMO_MYSQL_URL (jdbc:mysql://host:port/database on
// the server of dsn) for the JDBC connectors, and SLKC_DEMO_MYSQL_HOST,
// SLKC_DEMO_MYSQL_PORT and SLKC_DEMO_MYSQL_DATABASE for the binlog source
// (connectors/pipeline-cdc), which takes the server as Debezium's keys.
func MySQLEnv(dsn, database string) (map[string]string, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("demo: MySQL DSN: %w", err)
	}
	env := map[string]string{
		"SLKC_DEMO_MYSQL_URL":      "jdbc:mysql://" + cfg.Addr + "/" + database,
		"SLKC_DEMO_MYSQL_DATABASE": database,
	}
	// A unix socket address has no host and port; only a pipeline that
	// references them fails then, naming the variable.
	if host, port, err := net.SplitHostPort(cfg.Addr); err == nil {
		env["SLKC_DEMO_MYSQL_HOST"], env["SLKC_DEMO_MYSQL_PORT"] = host, port
	}
	return env, nil
}

// MySQLSecrets returns the secrets the pipeline files reference, as the
// runner's -secrets-file holds them: MySQLSecretName with the username and
// password of dsn, shaped like an RDS secret.
func MySQLSecrets(dsn string) (map[string]string, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("demo: MySQL DSN: %w", err)
	}
	b, err := json.Marshal(map[string]string{"username": cfg.User, "password": cfg.Passwd})
	if err != nil {
		return nil, err
	}
	return map[string]string{MySQLSecretName: string(b)}, nil
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
