-- Run by the demo's embedded MariaDB at every start (--init-file, with every privilege), so that the server enforces
-- its grant tables as a production server does and the demo can still log in: mariadb-install-db creates
-- root@localhost for the Unix socket only, while the demo connects over TCP from 127.0.0.1 with name resolution off.
-- Anonymous accounts are removed: they would match before a named account ("Account Names" in the MariaDB manual).
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '${password}';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
