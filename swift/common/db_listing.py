# Owns the listing walk shared by account and container brokers (Swift's
# list_*_iter rules, swift-catalog.md 6): one SQL page per step, delimiter roll-up
# with a jump past each subdir, reverse by swapping markers, ``path`` as a
# direct-children listing. The brokers supply the SQL; this module only walks it.
"""ListingQuery: one listing page over an account or container item table."""


class ListingQuery:
    """One listing over an item table, following Swift's list_*_iter rules.

    :param query: callable ``(conditions, args, order_desc, limit) -> (sql, args)``.
    :param make_subdir: callable ``dir_name -> row`` for rolled-up prefixes.
    :param transform: callable ``row -> row`` for item rows (default identity).

    Rules: markers swap when ``reverse``; ``path`` forces delimiter ``/`` and lists
    only direct children; with a delimiter, a name containing it after the prefix
    becomes one subdir entry and the scan jumps past the subdir (marker =
    ``dir[:-1] + chr(ord(last)+1)``); a subdir equal to the original marker is left
    out (field case BL-10).
    """

    def __init__(self, query, make_subdir, transform=None):
        self.query = query
        self.make_subdir = make_subdir
        self.transform = transform or (lambda row: row)

    def _bounds(self, marker, end_marker, prefix, end_prefix, force_gte):
        conditions, args = [], []
        if end_marker and (not prefix or end_marker < end_prefix):
            conditions.append('name < ?')
            args.append(end_marker)
        elif prefix:
            conditions.append('name < ?')
            args.append(end_prefix)
        if force_gte:
            conditions.append('name >= ?')
            args.append(marker)
        elif marker and (not prefix or marker >= prefix):
            conditions.append('name > ?')
            args.append(marker)
        elif prefix:
            conditions.append('name >= ?')
            args.append(prefix)
        return conditions, args

    def run(self, conn, limit, marker, end_marker, prefix, delimiter, reverse, path):
        """Return the list of rows (and subdir rows) for one listing page."""
        marker = marker or ''
        end_marker = end_marker or ''
        if reverse:
            marker, end_marker = end_marker, marker
        if path is not None:
            if path:
                path = path.rstrip('/') + '/'
            prefix = path
            delimiter = '/'
        elif delimiter and not prefix:
            prefix = ''
        end_prefix = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else None
        orig_marker = marker
        force_gte = False
        results = []
        while len(results) < limit:
            conditions, args = self._bounds(marker, end_marker, prefix, end_prefix,
                                            force_gte)
            force_gte = False
            sql, sql_args = self.query(conditions, args, reverse, limit - len(results))
            curs = conn.execute(sql, sql_args)
            curs.row_factory = None
            if prefix is None or not delimiter:
                return [self.transform(row) for row in curs]
            rowcount = 0
            for row in curs:
                rowcount += 1
                name = row[0]
                if reverse:
                    end_marker = name
                else:
                    marker = name
                end = name.find(delimiter, len(prefix))
                if path is not None:
                    if name == path:
                        continue
                    if end >= 0 and len(name) > end + len(delimiter):
                        if reverse:
                            end_marker = name[:end + len(delimiter)]
                        else:
                            marker = name[:end] + delimiter[:-1] + \
                                chr(ord(delimiter[-1]) + 1)
                        break
                elif end >= 0:
                    dir_name = name[:end + len(delimiter)]
                    if reverse:
                        end_marker = dir_name
                    else:
                        marker = name[:end] + delimiter[:-1] + chr(ord(delimiter[-1]) + 1)
                        force_gte = True
                    if dir_name != orig_marker:
                        results.append(self.make_subdir(dir_name))
                    break
                results.append(self.transform(row))
                if len(results) >= limit:
                    break
            curs.close()
            if not rowcount:
                break
        return results

