#include "dataplane/codec/batch_frame.h"

#include <zstd.h>

#include <cstring>
#include <memory>

#include "dataplane/codec/batch_payload.h"
#include "wal/crc32c.h"

namespace iotwins::dataplane {
namespace {

using wal::crc32c;

constexpr size_t kFixedHeader = 32;
constexpr uint8_t kFlagZstd = 1;

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

template <class T>
T get(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof(T));
  return v;
}

std::unexpected<Error> frame_error(Errc code, std::string what) {
  return make_error(code, "batch frame: " + std::move(what));
}

struct DctxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

}  // namespace

Result<std::string> encode_batch(const Batch& batch, const BatchEncodeOptions& options,
                                 const BatchLimits& limits) {
  if (auto v = validate_twin_id(batch.source_node); !v) {
    return std::unexpected(std::move(v.error()).context("batch source node"));
  }
  if (auto v = validate_twin_id(batch.stream); !v) {
    return std::unexpected(std::move(v.error()).context("batch stream name"));
  }
  if (batch.records.size() > limits.max_records) {
    return frame_error(Errc::too_large, std::to_string(batch.records.size()) +
                                            " records exceed the limit " +
                                            std::to_string(limits.max_records));
  }
  std::string payload;
  IOT_TRY(detail::encode_payload(batch.records, limits, payload));
  if (payload.size() > limits.max_uncompressed_bytes) {
    return frame_error(Errc::too_large, "payload of " + std::to_string(payload.size()) +
                                            " bytes exceeds the limit " +
                                            std::to_string(limits.max_uncompressed_bytes));
  }
  std::string stored;
  if (options.compress) {
    stored.resize(ZSTD_compressBound(payload.size()));
    size_t n = ZSTD_compress(stored.data(), stored.size(), payload.data(), payload.size(),
                             options.zstd_level);
    if (ZSTD_isError(n)) {
      return frame_error(Errc::internal, std::string("zstd: ") + ZSTD_getErrorName(n));
    }
    stored.resize(n);
  } else {
    stored = payload;
  }
  std::string out(kBatchMagic);
  put<uint8_t>(out, kBatchVersion);
  put<uint8_t>(out, options.compress ? kFlagZstd : 0);
  put<uint8_t>(out, static_cast<uint8_t>(batch.source_node.size()));
  put<uint8_t>(out, static_cast<uint8_t>(batch.stream.size()));
  put<uint64_t>(out, batch.first_seq);
  put<uint32_t>(out, static_cast<uint32_t>(batch.records.size()));
  put<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  put<uint32_t>(out, static_cast<uint32_t>(stored.size()));
  put<uint32_t>(out, crc32c(stored));
  out += batch.source_node;
  out += batch.stream;
  put<uint32_t>(out, crc32c(out));
  out += stored;
  if (out.size() > limits.max_frame_bytes) {
    return frame_error(Errc::too_large, "frame of " + std::to_string(out.size()) +
                                            " bytes exceeds the limit " +
                                            std::to_string(limits.max_frame_bytes));
  }
  return out;
}

Result<BatchHeader> decode_batch_header(std::string_view frame, const BatchLimits& limits) {
  if (frame.size() > limits.max_frame_bytes) {
    return frame_error(Errc::too_large, "frame of " + std::to_string(frame.size()) +
                                            " bytes exceeds the limit " +
                                            std::to_string(limits.max_frame_bytes));
  }
  if (frame.size() < kFixedHeader + 4) {
    return frame_error(Errc::invalid_argument,
                       "only " + std::to_string(frame.size()) + " bytes, shorter than a header");
  }
  if (frame.substr(0, 4) != kBatchMagic) {
    return frame_error(Errc::invalid_argument, "bad magic (not a batch frame)");
  }
  uint8_t version = get<uint8_t>(frame, 4);
  if (version != kBatchVersion) {
    return frame_error(Errc::unsupported, "version " + std::to_string(version) +
                                              " (this build reads version 1)");
  }
  uint8_t flags = get<uint8_t>(frame, 5);
  if (flags & ~kFlagZstd) {
    return frame_error(Errc::unsupported, "unknown flags " + std::to_string(flags));
  }
  size_t source_len = get<uint8_t>(frame, 6);
  size_t stream_len = get<uint8_t>(frame, 7);
  size_t header_len = kFixedHeader + source_len + stream_len + 4;
  if (frame.size() < header_len) {
    return frame_error(Errc::invalid_argument, "header of " + std::to_string(header_len) +
                                                   " bytes is cut short at " +
                                                   std::to_string(frame.size()));
  }
  uint32_t header_crc = get<uint32_t>(frame, header_len - 4);
  if (crc32c(frame.substr(0, header_len - 4)) != header_crc) {
    return frame_error(Errc::corruption, "header checksum mismatch");
  }
  BatchHeader h;
  h.source_node = std::string(frame.substr(kFixedHeader, source_len));
  h.stream = std::string(frame.substr(kFixedHeader + source_len, stream_len));
  h.first_seq = get<uint64_t>(frame, 8);
  h.record_count = get<uint32_t>(frame, 16);
  h.uncompressed_bytes = get<uint32_t>(frame, 20);
  h.compressed = flags & kFlagZstd;
  uint32_t stored_len = get<uint32_t>(frame, 24);
  h.frame_bytes = header_len + stored_len;
  if (auto v = validate_twin_id(h.source_node); !v) {
    return std::unexpected(std::move(v.error()).context("batch frame source node"));
  }
  if (auto v = validate_twin_id(h.stream); !v) {
    return std::unexpected(std::move(v.error()).context("batch frame stream name"));
  }
  if (h.record_count > limits.max_records) {
    return frame_error(Errc::too_large, std::to_string(h.record_count) +
                                            " records exceed the limit " +
                                            std::to_string(limits.max_records));
  }
  if (h.uncompressed_bytes > limits.max_uncompressed_bytes) {
    return frame_error(Errc::too_large, "payload of " + std::to_string(h.uncompressed_bytes) +
                                            " bytes (uncompressed) exceeds the limit " +
                                            std::to_string(limits.max_uncompressed_bytes));
  }
  if (h.frame_bytes != frame.size()) {
    return frame_error(Errc::invalid_argument,
                       "header says " + std::to_string(h.frame_bytes) + " bytes, frame has " +
                           std::to_string(frame.size()));
  }
  if (!h.compressed && stored_len != h.uncompressed_bytes) {
    return frame_error(Errc::invalid_argument, "uncompressed payload length mismatch");
  }
  if (h.first_seq > UINT64_MAX - h.record_count) {
    return frame_error(Errc::invalid_argument, "sequence numbers overflow");
  }
  return h;
}

Result<Batch> decode_batch(std::string_view frame, const BatchLimits& limits) {
  IOT_ASSIGN(BatchHeader h, decode_batch_header(frame, limits));
  std::string_view stored = frame.substr(frame.size() - get<uint32_t>(frame, 24));
  if (crc32c(stored) != get<uint32_t>(frame, 28)) {
    return frame_error(Errc::corruption, "payload checksum mismatch");
  }
  std::string inflated;
  std::string_view payload = stored;
  if (h.compressed) {
    unsigned long long declared = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN) {
      return frame_error(Errc::invalid_argument, "payload is not a zstd frame with a size");
    }
    if (declared != h.uncompressed_bytes) {
      return frame_error(Errc::invalid_argument,
                         "zstd frame declares " + std::to_string(declared) +
                             " bytes, the header " + std::to_string(h.uncompressed_bytes));
    }
    size_t compressed_size = ZSTD_findFrameCompressedSize(stored.data(), stored.size());
    if (ZSTD_isError(compressed_size) || compressed_size != stored.size()) {
      return frame_error(Errc::invalid_argument, "payload is not exactly one zstd frame");
    }
    // The output buffer is the declared size, itself bounded by the limits: zstd cannot write
    // more, whatever the input claims.
    inflated.resize(h.uncompressed_bytes);
    std::unique_ptr<ZSTD_DCtx, DctxFree> dctx(ZSTD_createDCtx());
    if (!dctx) return frame_error(Errc::resource_exhausted, "cannot allocate a zstd context");
    size_t n = ZSTD_decompressDCtx(dctx.get(), inflated.data(), inflated.size(), stored.data(),
                                   stored.size());
    if (ZSTD_isError(n)) {
      return frame_error(Errc::invalid_argument,
                         std::string("zstd payload does not decompress: ") + ZSTD_getErrorName(n));
    }
    if (n != h.uncompressed_bytes) {
      return frame_error(Errc::invalid_argument, "zstd payload decompressed to " +
                                                     std::to_string(n) + " bytes, expected " +
                                                     std::to_string(h.uncompressed_bytes));
    }
    payload = inflated;
  }
  IOT_ASSIGN(auto records, detail::decode_payload(payload, h.record_count, limits));
  return Batch{.source_node = std::move(h.source_node),
               .stream = std::move(h.stream),
               .first_seq = h.first_seq,
               .records = std::move(records)};
}

}  // namespace iotwins::dataplane
