/*
 * smoothscale TensorRT shim: a flat C API over the TensorRT C++ API.
 *
 * Nothing here links against libnvinfer or libnvonnxparser. The caller opens those libraries at
 * run time, looks up the exported factory functions (createInferRuntime_INTERNAL,
 * createInferBuilder_INTERNAL, createNvOnnxParser_INTERNAL) and hands them to the *_create
 * functions below. Every object returned by a *_create function is released by the matching
 * *_destroy function; NULL is accepted by every *_destroy function.
 *
 * This header is plain C and does not include any TensorRT header, so bindings to it can be
 * generated on any machine. Functions returning int32_t status return 1 for success and 0 for
 * failure unless documented otherwise.
 */
#ifndef SMOOTHSCALE_TRT_SHIM_H
#define SMOOTHSCALE_TRT_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum number of dimensions of a tensor shape (TensorRT's Dims64::MAX_DIMS). */
#define TRT_SHIM_MAX_DIMS 8

/** Precision request bits for trt_config_set_precision. */
#define TRT_SHIM_PRECISION_FP16 1
#define TRT_SHIM_PRECISION_BF16 2

typedef struct trt_logger trt_logger;
typedef struct trt_runtime trt_runtime;
typedef struct trt_engine trt_engine;
typedef struct trt_context trt_context;
typedef struct trt_builder trt_builder;
typedef struct trt_network trt_network;
typedef struct trt_config trt_config;
typedef struct trt_parser trt_parser;
typedef struct trt_host_memory trt_host_memory;
typedef struct trt_timing_cache trt_timing_cache;

/** A tensor shape; -1 in a dimension means dynamic. */
typedef struct trt_dims {
    int32_t nb_dims;
    int64_t d[TRT_SHIM_MAX_DIMS];
} trt_dims;

/** One ONNX parser error. Strings are owned by the parser and live until it is destroyed. */
typedef struct trt_parser_error {
    int32_t code;
    /** Index of the failing node in the graph, or -1 when unknown. */
    int32_t node;
    const char *desc;
    const char *node_name;
    const char *node_operator;
    const char *file;
    int32_t line;
} trt_parser_error;

/** Minimum, optimum and maximum shapes of one input in an optimization profile. */
typedef struct trt_profile_shape {
    const char *input_name;
    trt_dims min;
    trt_dims opt;
    trt_dims max;
} trt_profile_shape;

/** Logger callback: severity 0 internal error, 1 error, 2 warning, 3 info, 4 verbose. */
typedef void (*trt_log_callback)(void *user, int32_t severity, const char *message);
/** Signature of createInferRuntime_INTERNAL and createInferBuilder_INTERNAL. */
typedef void *(*trt_create_fn)(void *logger, int32_t version);
/** Signature of createNvOnnxParser_INTERNAL. */
typedef void *(*trt_create_parser_fn)(void *network, void *logger, int32_t version);

/** NV_TENSORRT_VERSION of the headers the shim was compiled against (major*10000+minor*100+patch). */
int32_t trt_shim_header_version(void);
/** 1 when the headers have the fp16/bf16 builder flags (TensorRT 10), 0 when networks are always
 * strongly typed (TensorRT 11 and later). */
int32_t trt_shim_has_precision_flags(void);

/** A logger forwarding every message to `callback` with `user`; NULL on allocation failure. */
trt_logger *trt_logger_create(trt_log_callback callback, void *user);
/** Sends one message through the logger, as TensorRT would. */
void trt_logger_log(trt_logger *logger, int32_t severity, const char *message);
void trt_logger_destroy(trt_logger *logger);

/** Creates a runtime with `create` (createInferRuntime_INTERNAL); NULL on failure. The logger
 * must outlive the runtime and every engine and context made from it. */
trt_runtime *trt_runtime_create(trt_create_fn create, trt_logger *logger);
void trt_runtime_destroy(trt_runtime *runtime);
/** Deserializes a plan; NULL on failure (the reason goes to the logger). */
trt_engine *trt_runtime_deserialize(trt_runtime *runtime, const void *plan, size_t size);

void trt_engine_destroy(trt_engine *engine);
int32_t trt_engine_num_io_tensors(const trt_engine *engine);
/** Name of I/O tensor `index`, owned by the engine; NULL when out of range. */
const char *trt_engine_io_tensor_name(const trt_engine *engine, int32_t index);
/** 0 none, 1 input, 2 output. */
int32_t trt_engine_tensor_mode(const trt_engine *engine, const char *name);
/** TensorRT DataType value (0 float, 1 half, 2 int8, 3 int32, 4 bool, 5 uint8, 6 fp8, 7 bf16,
 * 8 int64, ...). */
int32_t trt_engine_tensor_dtype(const trt_engine *engine, const char *name);
/** Writes the shape of the tensor; returns 0 when the name is unknown. */
int32_t trt_engine_tensor_shape(const trt_engine *engine, const char *name, trt_dims *out);
int32_t trt_engine_num_profiles(const trt_engine *engine);
/** Scratch (activation) memory an execution context of the engine allocates, bytes; -1 on error. */
int64_t trt_engine_device_memory_size(const trt_engine *engine);
/** An execution context; NULL on failure. */
trt_context *trt_engine_create_context(trt_engine *engine);

void trt_context_destroy(trt_context *context);
/** Selects an optimization profile; `stream` is a cudaStream_t. */
int32_t trt_context_set_profile(trt_context *context, int32_t profile, void *stream);
int32_t trt_context_set_input_shape(trt_context *context, const char *name, const trt_dims *dims);
/** Writes the shape of an I/O tensor as the context resolves it for the input shapes set so far
 * (output shapes are known once every dynamic input has its shape); returns 0 when the name is
 * unknown. */
int32_t trt_context_tensor_shape(const trt_context *context, const char *name, trt_dims *out);
/** Binds a device buffer to a tensor. */
int32_t trt_context_set_tensor_address(trt_context *context, const char *name, void *address);
/** Enqueues inference on `stream` (a cudaStream_t). */
int32_t trt_context_enqueue_v3(trt_context *context, void *stream);

/** Creates a builder with `create` (createInferBuilder_INTERNAL); NULL on failure. */
trt_builder *trt_builder_create(trt_create_fn create, trt_logger *logger);
void trt_builder_destroy(trt_builder *builder);
/** An empty network. `strongly_typed` is honoured with TensorRT 10; TensorRT 11 networks are
 * always strongly typed. */
trt_network *trt_builder_create_network(trt_builder *builder, int32_t strongly_typed);
void trt_network_destroy(trt_network *network);
trt_config *trt_builder_create_config(trt_builder *builder);
void trt_config_destroy(trt_config *config);
/** Limits the builder's workspace memory pool. */
void trt_config_set_workspace_limit(trt_config *config, size_t bytes);
/** Builder optimization level, 0 to 5 (TensorRT's default is 3). */
void trt_config_set_optimization_level(trt_config *config, int32_t level);
/** Sets TRT_SHIM_PRECISION_* flags; returns 0 when the headers have no precision flags and a
 * flag was requested (TensorRT 11: precision comes from the strongly typed graph). */
int32_t trt_config_set_precision(trt_config *config, int32_t flags);
/** Adds one optimization profile with `count` inputs; returns its index, or -1 on failure. */
int32_t trt_config_add_profile(trt_builder *builder, trt_config *config,
                               const trt_profile_shape *shapes, size_t count);
/** A timing cache made by `config` from a serialized one (`blob` NULL and `size` 0: empty);
 * NULL on failure. It must outlive every build that uses it. */
trt_timing_cache *trt_config_create_timing_cache(trt_config *config, const void *blob, size_t size);
/** Attaches `cache` to `config`; builds then read and extend it. Returns 0 when the cache was
 * made on a different device or TensorRT (it is then not used). */
int32_t trt_config_set_timing_cache(trt_config *config, const trt_timing_cache *cache);
/** Serializes a timing cache; NULL on failure. */
trt_host_memory *trt_timing_cache_serialize(const trt_timing_cache *cache);
void trt_timing_cache_destroy(trt_timing_cache *cache);
/** Builds and serializes an engine; NULL on failure (the reason goes to the logger). */
trt_host_memory *trt_builder_build_serialized(trt_builder *builder, trt_network *network,
                                              trt_config *config);

const void *trt_host_memory_data(const trt_host_memory *memory);
size_t trt_host_memory_size(const trt_host_memory *memory);
void trt_host_memory_destroy(trt_host_memory *memory);

/** An ONNX parser filling `network`, made with `create` (createNvOnnxParser_INTERNAL). The
 * network and logger must outlive the parser. */
trt_parser *trt_parser_create(trt_create_parser_fn create, trt_network *network, trt_logger *logger);
void trt_parser_destroy(trt_parser *parser);
/** Parses a serialized ONNX model; `path` (may be NULL) locates external weights. */
int32_t trt_parser_parse(trt_parser *parser, const void *model, size_t size, const char *path);
int32_t trt_parser_num_errors(const trt_parser *parser);
/** Fills `out` with error `index`; returns 0 when out of range. */
int32_t trt_parser_error_at(const trt_parser *parser, int32_t index, trt_parser_error *out);

#ifdef __cplusplus
}
#endif

#endif
