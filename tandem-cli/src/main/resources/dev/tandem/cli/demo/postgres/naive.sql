-- What a plain migration tool runs: one transaction of ALTER TABLE, each taking ACCESS EXCLUSIVE on users until
-- the commit; the type change rewrites the table.
ALTER TABLE users RENAME COLUMN name TO username;
ALTER TABLE users ADD COLUMN email text;
UPDATE users SET email = lower(username) || '@example.org';
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users ALTER COLUMN enabled DROP DEFAULT;
ALTER TABLE users ALTER COLUMN enabled TYPE boolean USING enabled <> 0;
ALTER TABLE users ALTER COLUMN enabled SET DEFAULT true;
ALTER TABLE users DROP COLUMN extra;
