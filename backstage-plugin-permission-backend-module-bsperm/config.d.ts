export interface Config {
  /** Where the bsperm module finds bsperm (see README.md). */
  bsperm?: {
    /**
     * A PostgreSQL connection string or object (node-postgres options) of a role that is a member
     * of bsperm_trusted. Absent: the permission plugin's own database (backend.database).
     */
    connection?:
      | string
      | {
          host?: string;
          port?: number;
          user?: string;
          /** @visibility secret */
          password?: string;
          database?: string;
          ssl?: boolean | { rejectUnauthorized?: boolean; ca?: string };
        };
    /** Most pooled connections to bsperm (default 5). */
    poolSize?: number;
    /** Statement timeout of a decision in milliseconds (default 2000); a timeout answers DENY. */
    statementTimeoutMs?: number;
  };
}
