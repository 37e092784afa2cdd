-- What a plain migration tool runs on MariaDB: ALTER TABLE with the server's default algorithm, each statement
-- committing on its own (MariaDB has no transactional DDL); INT to TINYINT copies the whole table, blocking writes.
ALTER TABLE users CHANGE COLUMN name username varchar(100) NOT NULL;
ALTER TABLE users ADD COLUMN email varchar(255);
UPDATE users SET email = CONCAT(LOWER(username), '@example.org');
ALTER TABLE users MODIFY COLUMN email varchar(255) NOT NULL;
ALTER TABLE users MODIFY COLUMN enabled boolean NOT NULL DEFAULT true;
ALTER TABLE users DROP COLUMN extra;
