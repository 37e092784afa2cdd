-- Run by the embedded MariaDB at every start (--init-file, with every privilege), so that the server enforces its
-- grant tables and tests can still log in. mariadb-install-db creates root@localhost for the Unix socket only;
-- the tests connect over TCP from 127.0.0.1 and the server skips name resolution, so 'localhost' accounts never
-- match them. Anonymous accounts are removed: they would match before a named '%' account ("Connecting to
-- MariaDB" / "Account names" in the MariaDB manual), and a test user would log in as nobody.
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '${password}';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
