-- bsperm install script, part 45: the per-row cost of @~.
--
-- A filter evaluated on a stored entity costs about 0.3-1 microseconds (the
-- compound policies of bench/rls), as much as reading most of a page
-- sequentially; with the default cost of a function (1, i.e. 0.0025 cost
-- units) the planner would weigh filtering every row of a table against an
-- index scan as if it were free, and scan half a table with the filter
-- rather than recheck the rows the index finds.
ALTER FUNCTION @extschema@.bsperm_filter_matches(jsonb, jsonb) COST 300;
