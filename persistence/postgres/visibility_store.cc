#include "persistence/visibility_store.h"

#include <array>
#include <map>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/group_commit.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "persistence/postgres/sql_util.h"
#include "persistence/postgres/store_impls.h"
#include "visibility/postgres.h"
#include "visibility/values.h"

namespace tern::persistence::postgres {
namespace {

// The sort key of the default order; the same text as in the indexes of schema v2, so that the
// planner matches them.
constexpr char kCloseKey[] = "COALESCE(close_time, '9999-12-31 23:59:59+00'::timestamptz)";
// What kCloseKey is for a running workflow, in microseconds.
constexpr int64_t kOpenCloseKeyMicros = 253402300799000000;

std::string Micros(const char* column) {
  return absl::StrCat("(EXTRACT(EPOCH FROM ", column, ") * 1000000)::bigint");
}

// Every column of a record, in the order RowToRecord reads them.
const std::string& SelectColumns() {
  static const std::string columns = absl::StrCat(
      "run_id, workflow_id, workflow_type, task_queue, status, ", Micros("start_time"), ", ",
      Micros("execution_time"), ", ", Micros("close_time"),
      ", execution_duration, history_length, history_size_bytes, state_transition_count, "
      "parent_workflow_id, parent_run_id, root_workflow_id, root_run_id, search_attributes::text, "
      "memo, memo_encoding, ",
      Micros(kCloseKey));
  return columns;
}

std::string DatetimeText(Timestamp t) {
  int64_t micros =
      std::clamp(ToMicros(t), visibility::kMinDatetimeMicros, visibility::kMaxDatetimeMicros);
  return visibility::FormatDatetimeMicros(micros);
}

std::string OptionalText(const pqxx::field& field) {
  return field.is_null() ? std::string() : std::string(field.c_str());
}

absl::StatusOr<VisibilityRecord> RowToRecord(const std::string& namespace_id,
                                             const pqxx::row& row) {
  VisibilityRecord r;
  r.namespace_id = namespace_id;
  r.run_id = row[0].c_str();
  r.workflow_id = row[1].c_str();
  r.workflow_type = row[2].c_str();
  r.task_queue = row[3].c_str();
  r.status = row[4].as<int32_t>();
  r.start_time = FromMicros(row[5].as<int64_t>());
  r.execution_time = FromMicros(row[6].as<int64_t>());
  if (!row[7].is_null()) r.close_time = FromMicros(row[7].as<int64_t>());
  if (!row[8].is_null()) r.execution_duration_nanos = row[8].as<int64_t>();
  r.history_length = row[9].as<int64_t>();
  r.history_size_bytes = row[10].as<int64_t>();
  r.state_transition_count = row[11].as<int64_t>();
  r.parent_workflow_id = OptionalText(row[12]);
  r.parent_run_id = OptionalText(row[13]);
  r.root_workflow_id = row[14].c_str();
  r.root_run_id = row[15].c_str();
  r.search_attributes_json = row[16].c_str();
  if (!row[17].is_null()) {
    RETURN_IF_ERROR(ParseBlob(row[17], row[18], r.memo));
  }
  return r;
}

absl::Status InvalidPageToken() {
  return absl::InvalidArgumentError("invalid next_page_token: not a token of this list");
}

// The WHERE clause every query shares: the namespace ($1), the hidden system workflows unless
// the query asks for them, and the query's own filter (parameters from $2).
absl::StatusOr<std::string> BaseWhere(const visibility::Query& query,
                                      std::vector<std::string>& params,
                                      std::optional<std::string>* group_by = nullptr) {
  ASSIGN_OR_RETURN(visibility::SqlFilter filter,
                   visibility::ToPostgresWhere(query, static_cast<int>(params.size())));
  params.insert(params.end(), filter.params.begin(), filter.params.end());
  if (group_by != nullptr) *group_by = filter.group_by_column;
  std::string where = absl::StrCat("namespace_id = $1 AND (", filter.sql, ")");
  if (!visibility::MentionsAttribute(query, "TemporalNamespaceDivision")) {
    absl::StrAppend(&where, " AND NOT (search_attributes ? 'TemporalNamespaceDivision')");
  }
  return where;
}

class PostgresVisibilityStore final : public VisibilityStore {
 public:
  explicit PostgresVisibilityStore(std::shared_ptr<ConnectionPool> pool)
      : pool_(std::move(pool)), upserts_([this](const std::vector<const VisibilityRecord*>& batch) {
          return std::vector<absl::Status>{UpsertRows(batch)};
        }) {}

  // Validates the record, then joins the next multi-row upsert (group commit): while one is in
  // flight, the records of other callers queue and go together in the next.
  absl::Status Upsert(const VisibilityRecord& r) override {
    if (r.namespace_id.empty() || r.run_id.empty() || r.workflow_id.empty()) {
      return absl::InvalidArgumentError(
          "visibility record needs namespace_id, run_id and workflow_id");
    }
    if (!nlohmann::json::parse(r.search_attributes_json, nullptr, /*allow_exceptions=*/false)
             .is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("search attributes of run '", r.run_id, "' are not a JSON object"));
    }
    return upserts_.Submit(r);
  }

  absl::Status Delete(const std::string& namespace_id, const std::string& run_id) override {
    return pool_->Run("DeleteVisibility", [&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      txn.exec_prepared("vis_delete", namespace_id, run_id);
      txn.commit();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<VisibilityPage> List(const std::string& namespace_id,
                                      const visibility::Query& query, int page_size,
                                      const std::string& page_token) override {
    if (page_size <= 0 || page_size > kMaxVisibilityPageSize) page_size = kMaxVisibilityPageSize;
    std::vector<std::string> params{namespace_id};
    ASSIGN_OR_RETURN(std::string where, BaseWhere(query, params));
    if (!page_token.empty()) {
      v1::VisibilityPageToken token;
      if (!token.ParseFromString(page_token) || token.run_id().empty() ||
          token.close_time_micros() < visibility::kMinDatetimeMicros ||
          token.close_time_micros() > visibility::kMaxDatetimeMicros ||
          token.start_time_micros() < visibility::kMinDatetimeMicros ||
          token.start_time_micros() > visibility::kMaxDatetimeMicros) {
        return InvalidPageToken();
      }
      // A row comparison on the index's own keys: the next page starts right after the last row.
      const size_t n = params.size();
      absl::StrAppend(&where, " AND (", kCloseKey, ", start_time, run_id) < ($", n + 1,
                      "::timestamptz, $", n + 2, "::timestamptz, $", n + 3, ")");
      params.push_back(visibility::FormatDatetimeMicros(token.close_time_micros()));
      params.push_back(visibility::FormatDatetimeMicros(token.start_time_micros()));
      params.push_back(token.run_id());
    }
    // One row more than asked tells whether another page exists.
    params.push_back(std::to_string(page_size + 1));
    std::string sql = absl::StrCat("SELECT ", SelectColumns(), " FROM executions_visibility WHERE ",
                                   where, " ORDER BY ", kCloseKey,
                                   " DESC, start_time DESC, run_id DESC LIMIT $", params.size());
    return pool_->Run("ListWorkflowExecutions",
                      [&](pqxx::connection_base& conn) -> absl::StatusOr<VisibilityPage> {
                        pqxx::nontransaction txn(conn);
                        pqxx::result rows =
                            txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
                        VisibilityPage page;
                        for (const auto& row : rows) {
                          if (static_cast<int>(page.records.size()) == page_size) {
                            const pqxx::row& last = rows[page_size - 1];
                            v1::VisibilityPageToken next;
                            next.set_close_time_micros(last[19].as<int64_t>());
                            next.set_start_time_micros(last[5].as<int64_t>());
                            next.set_run_id(last[0].c_str());
                            page.next_page_token = next.SerializeAsString();
                            break;
                          }
                          ASSIGN_OR_RETURN(VisibilityRecord record, RowToRecord(namespace_id, row));
                          page.records.push_back(std::move(record));
                        }
                        return page;
                      });
  }

  absl::StatusOr<VisibilityCount> Count(const std::string& namespace_id,
                                        const visibility::Query& query) override {
    std::vector<std::string> params{namespace_id};
    std::optional<std::string> group_by;
    ASSIGN_OR_RETURN(std::string where, BaseWhere(query, params, &group_by));
    std::string sql =
        group_by
            ? absl::StrCat("SELECT ", *group_by, ", count(*) FROM executions_visibility WHERE ",
                           where, " GROUP BY ", *group_by, " ORDER BY count(*) DESC, ", *group_by)
            : absl::StrCat("SELECT count(*) FROM executions_visibility WHERE ", where);
    return pool_->Run("CountWorkflowExecutions",
                      [&](pqxx::connection_base& conn) -> absl::StatusOr<VisibilityCount> {
                        pqxx::nontransaction txn(conn);
                        pqxx::result rows =
                            txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
                        VisibilityCount out;
                        if (!group_by) {
                          out.count = rows[0][0].as<int64_t>();
                          return out;
                        }
                        for (const auto& row : rows) {
                          // The only possible group column is status (an integer).
                          auto& group = out.groups.emplace_back();
                          group.value = row[0].as<int64_t>();
                          group.count = row[1].as<int64_t>();
                          out.count += group.count;
                        }
                        return out;
                      });
  }

 private:
  // One statement for the batch (tern_upsert_visibility, schema v5). It commits by itself and
  // is idempotent, so the pool may repeat it.
  absl::Status UpsertRows(const std::vector<const VisibilityRecord*>& batch) {
    std::vector<std::string> params = VisibilityColumns(batch);
    return pool_->Run("UpsertVisibility", [&](pqxx::connection_base& conn) {
      pqxx::nontransaction txn(conn);
      txn.exec_prepared("vis_upsert", pqxx::prepare::make_dynamic_params(params));
      return absl::OkStatus();
    });
  }

  std::shared_ptr<ConnectionPool> pool_;
  GroupCommit<const VisibilityRecord> upserts_;
};

}  // namespace

std::vector<std::string> VisibilityColumns(const std::vector<const VisibilityRecord*>& records) {
  // A run that appears twice is written once, with its newest state (one row cannot be upserted
  // twice in a statement).
  std::map<std::pair<std::string_view, std::string_view>, const VisibilityRecord*> newest;
  for (const VisibilityRecord* r : records) {
    auto [it, added] = newest.try_emplace({r->namespace_id, r->run_id}, r);
    if (!added && it->second->state_transition_count < r->state_transition_count) it->second = r;
  }
  std::array<ArrayLiteral, 20> columns;
  for (const auto& [key, r] : newest) {
    int c = 0;
    auto next = [&]() -> ArrayLiteral& { return columns[c++]; };
    for (const std::string* text :
         {&r->namespace_id, &r->run_id, &r->workflow_id, &r->workflow_type, &r->task_queue}) {
      next().Add(*text);
    }
    next().Add(r->status);
    next().Add(DatetimeText(r->start_time));
    next().Add(DatetimeText(r->execution_time));
    if (r->close_time) {
      next().Add(DatetimeText(*r->close_time));
    } else {
      next().AddNull();
    }
    if (r->execution_duration_nanos) {
      next().Add(*r->execution_duration_nanos);
    } else {
      next().AddNull();
    }
    next().Add(r->history_length);
    next().Add(r->history_size_bytes);
    next().Add(r->state_transition_count);
    next().AddOrNull(r->parent_workflow_id);
    next().AddOrNull(r->parent_run_id);
    next().Add(r->root_workflow_id);
    next().Add(r->root_run_id);
    next().Add(r->search_attributes_json);
    const bool has_memo = r->memo.fields_size() > 0;
    next().AddOrNull(has_memo ? absl::BytesToHexString(r->memo.SerializeAsString()) : "");
    next().AddOrNull(has_memo ? kEncodingProto3 : "");
  }
  std::vector<std::string> params;
  for (ArrayLiteral& column : columns) params.push_back(std::move(column).Finish());
  return params;
}

std::vector<PreparedStatement> VisibilityStatements() {
  return {
      {"vis_upsert",
       "SELECT tern_upsert_visibility($1::text[], $2::text[], $3::text[], $4::text[], "
       "$5::text[], $6::integer[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], "
       "$10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], "
       "$16::text[], $17::text[], $18::jsonb[], $19::text[], $20::text[])"},
      {"vis_delete", "DELETE FROM executions_visibility WHERE namespace_id = $1 AND run_id = $2"},
  };
}

std::shared_ptr<VisibilityStore> NewVisibilityStore(std::shared_ptr<ConnectionPool> pool) {
  return std::make_shared<PostgresVisibilityStore>(std::move(pool));
}

}  // namespace tern::persistence::postgres
