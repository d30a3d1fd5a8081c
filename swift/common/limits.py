# Protocol and capacity limits, unit last in the name, each with its reason.
# Defaults of the API constraints are Swift's (swift-catalog.md 6, "Constraints").
"""Named limits (defaults; a cluster may override the API ones in swift.conf)."""

object_bytes_max = 5368709122            # 5 GiB + 2: Swift's max_file_size
meta_name_bytes_max = 128                # max_meta_name_length
meta_value_bytes_max = 256               # max_meta_value_length
meta_count_max = 90                      # max_meta_count
meta_overall_bytes_max = 4096            # max_meta_overall_size (names + values)
header_bytes_max = 8192                  # max_header_size
request_line_bytes_max = 8192            # max_request_line
object_name_bytes_max = 1024             # max_object_name_length
container_listing_limit_max = 10000      # container_listing_limit
account_listing_limit_max = 10000        # account_listing_limit
account_name_bytes_max = 256             # max_account_name_length
container_name_bytes_max = 256           # max_container_name_length
extra_header_count = 0                   # extra headers allowed beyond meta + 36
pending_file_bytes_max = 131072          # DB .pending size that forces a commit (PENDING_CAP)
xattr_chunk_bytes = 65536                # Swift splits the metadata pickle every 64 KiB
disk_chunk_bytes = 65536                 # object server read/write chunk
network_chunk_bytes = 65536              # proxy <-> client/backend chunk
reclaim_age_s = 604800                   # one week: tombstone / deleted-row reclaim

assert meta_name_bytes_max + meta_value_bytes_max <= meta_overall_bytes_max
assert object_name_bytes_max <= request_line_bytes_max
