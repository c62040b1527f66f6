// smoothscale TensorRT shim: implements trt_shim.h over the TensorRT C++ API (10.x and 11.x).
//
// Only header-inline TensorRT code is used here: objects come from the factory functions the
// caller looked up at run time, and every other call is a virtual call into the library. So this
// file needs the TensorRT headers to compile and nothing from TensorRT to link.

#include "trt_shim.h"

#include <NvInfer.h>
#include <NvInferVersion.h>
#include <NvOnnxParser.h>

#include <new>

#if NV_TENSORRT_MAJOR == 10
#define TRT_SHIM_PRECISION_FLAGS 1
#elif NV_TENSORRT_MAJOR == 11
#define TRT_SHIM_PRECISION_FLAGS 0
#else
#error "the smoothscale TensorRT shim supports TensorRT 10.x and 11.x headers only"
#endif

namespace {

// The opaque C handles are the TensorRT objects themselves; these casts are the only place that
// knows it.
nvinfer1::IRuntime *as_cpp(trt_runtime *p) { return reinterpret_cast<nvinfer1::IRuntime *>(p); }
nvinfer1::ICudaEngine *as_cpp(trt_engine *p) { return reinterpret_cast<nvinfer1::ICudaEngine *>(p); }
nvinfer1::ICudaEngine const *as_cpp(trt_engine const *p) {
    return reinterpret_cast<nvinfer1::ICudaEngine const *>(p);
}
nvinfer1::IExecutionContext *as_cpp(trt_context *p) {
    return reinterpret_cast<nvinfer1::IExecutionContext *>(p);
}
nvinfer1::IExecutionContext const *as_cpp(trt_context const *p) {
    return reinterpret_cast<nvinfer1::IExecutionContext const *>(p);
}
nvinfer1::IBuilder *as_cpp(trt_builder *p) { return reinterpret_cast<nvinfer1::IBuilder *>(p); }
nvinfer1::INetworkDefinition *as_cpp(trt_network *p) {
    return reinterpret_cast<nvinfer1::INetworkDefinition *>(p);
}
nvinfer1::IBuilderConfig *as_cpp(trt_config *p) {
    return reinterpret_cast<nvinfer1::IBuilderConfig *>(p);
}
nvinfer1::IHostMemory const *as_cpp(trt_host_memory const *p) {
    return reinterpret_cast<nvinfer1::IHostMemory const *>(p);
}
nvinfer1::IHostMemory *as_cpp(trt_host_memory *p) {
    return reinterpret_cast<nvinfer1::IHostMemory *>(p);
}
nvinfer1::ITimingCache *as_cpp(trt_timing_cache *p) {
    return reinterpret_cast<nvinfer1::ITimingCache *>(p);
}
nvinfer1::ITimingCache const *as_cpp(trt_timing_cache const *p) {
    return reinterpret_cast<nvinfer1::ITimingCache const *>(p);
}
nvonnxparser::IParser *as_cpp(trt_parser *p) { return reinterpret_cast<nvonnxparser::IParser *>(p); }
nvonnxparser::IParser const *as_cpp(trt_parser const *p) {
    return reinterpret_cast<nvonnxparser::IParser const *>(p);
}

nvinfer1::Dims to_dims(trt_dims const &in) {
    nvinfer1::Dims out{};
    int32_t n = in.nb_dims;
    if (n < 0) n = 0;
    if (n > TRT_SHIM_MAX_DIMS) n = TRT_SHIM_MAX_DIMS;
    out.nbDims = n;
    for (int32_t i = 0; i < n; ++i) out.d[i] = in.d[i];
    return out;
}

void from_dims(nvinfer1::Dims const &in, trt_dims *out) {
    int32_t n = in.nbDims;
    if (n < 0) n = 0;
    if (n > TRT_SHIM_MAX_DIMS) n = TRT_SHIM_MAX_DIMS;
    out->nb_dims = in.nbDims < 0 ? -1 : n;
    for (int32_t i = 0; i < TRT_SHIM_MAX_DIMS; ++i) out->d[i] = i < n ? in.d[i] : 0;
}

} // namespace

// The logger TensorRT talks to; forwards every message to the C callback.
struct trt_logger final : public nvinfer1::ILogger {
    trt_log_callback callback;
    void *user;

    trt_logger(trt_log_callback cb, void *u) : callback(cb), user(u) {}

    void log(Severity severity, nvinfer1::AsciiChar const *msg) noexcept override {
        if (callback != nullptr) callback(user, static_cast<int32_t>(severity), msg != nullptr ? msg : "");
    }
};

extern "C" {

int32_t trt_shim_header_version(void) { return static_cast<int32_t>(NV_TENSORRT_VERSION); }

int32_t trt_shim_has_precision_flags(void) { return TRT_SHIM_PRECISION_FLAGS; }

trt_logger *trt_logger_create(trt_log_callback callback, void *user) {
    return new (std::nothrow) trt_logger(callback, user);
}

void trt_logger_log(trt_logger *logger, int32_t severity, const char *message) {
    if (logger == nullptr) return;
    if (severity < 0) severity = 0;
    if (severity > 4) severity = 4;
    logger->log(static_cast<nvinfer1::ILogger::Severity>(severity), message);
}

void trt_logger_destroy(trt_logger *logger) { delete logger; }

trt_runtime *trt_runtime_create(trt_create_fn create, trt_logger *logger) {
    if (create == nullptr || logger == nullptr) return nullptr;
    nvinfer1::ILogger *base = logger;
    return static_cast<trt_runtime *>(create(base, static_cast<int32_t>(NV_TENSORRT_VERSION)));
}

void trt_runtime_destroy(trt_runtime *runtime) { delete as_cpp(runtime); }

trt_engine *trt_runtime_deserialize(trt_runtime *runtime, const void *plan, size_t size) {
    if (runtime == nullptr || plan == nullptr || size == 0) return nullptr;
    return reinterpret_cast<trt_engine *>(as_cpp(runtime)->deserializeCudaEngine(plan, size));
}

void trt_engine_destroy(trt_engine *engine) { delete as_cpp(engine); }

int32_t trt_engine_num_io_tensors(const trt_engine *engine) {
    return engine == nullptr ? 0 : as_cpp(engine)->getNbIOTensors();
}

const char *trt_engine_io_tensor_name(const trt_engine *engine, int32_t index) {
    if (engine == nullptr || index < 0 || index >= as_cpp(engine)->getNbIOTensors()) return nullptr;
    return as_cpp(engine)->getIOTensorName(index);
}

int32_t trt_engine_tensor_mode(const trt_engine *engine, const char *name) {
    if (engine == nullptr || name == nullptr) return 0;
    return static_cast<int32_t>(as_cpp(engine)->getTensorIOMode(name));
}

int32_t trt_engine_tensor_dtype(const trt_engine *engine, const char *name) {
    if (engine == nullptr || name == nullptr) return -1;
    return static_cast<int32_t>(as_cpp(engine)->getTensorDataType(name));
}

int32_t trt_engine_tensor_shape(const trt_engine *engine, const char *name, trt_dims *out) {
    if (engine == nullptr || name == nullptr || out == nullptr) return 0;
    if (as_cpp(engine)->getTensorIOMode(name) == nvinfer1::TensorIOMode::kNONE) return 0;
    from_dims(as_cpp(engine)->getTensorShape(name), out);
    return 1;
}

int32_t trt_engine_num_profiles(const trt_engine *engine) {
    return engine == nullptr ? 0 : as_cpp(engine)->getNbOptimizationProfiles();
}

int64_t trt_engine_device_memory_size(const trt_engine *engine) {
    return engine == nullptr ? -1 : as_cpp(engine)->getDeviceMemorySizeV2();
}

trt_context *trt_engine_create_context(trt_engine *engine) {
    if (engine == nullptr) return nullptr;
    return reinterpret_cast<trt_context *>(as_cpp(engine)->createExecutionContext());
}

void trt_context_destroy(trt_context *context) { delete as_cpp(context); }

int32_t trt_context_set_profile(trt_context *context, int32_t profile, void *stream) {
    if (context == nullptr) return 0;
    return as_cpp(context)->setOptimizationProfileAsync(profile, static_cast<cudaStream_t>(stream)) ? 1 : 0;
}

int32_t trt_context_set_input_shape(trt_context *context, const char *name, const trt_dims *dims) {
    if (context == nullptr || name == nullptr || dims == nullptr) return 0;
    return as_cpp(context)->setInputShape(name, to_dims(*dims)) ? 1 : 0;
}

int32_t trt_context_tensor_shape(const trt_context *context, const char *name, trt_dims *out) {
    if (context == nullptr || name == nullptr || out == nullptr) return 0;
    if (as_cpp(context)->getEngine().getTensorIOMode(name) == nvinfer1::TensorIOMode::kNONE) return 0;
    from_dims(as_cpp(context)->getTensorShape(name), out);
    return 1;
}

int32_t trt_context_set_tensor_address(trt_context *context, const char *name, void *address) {
    if (context == nullptr || name == nullptr) return 0;
    return as_cpp(context)->setTensorAddress(name, address) ? 1 : 0;
}

int32_t trt_context_enqueue_v3(trt_context *context, void *stream) {
    if (context == nullptr) return 0;
    return as_cpp(context)->enqueueV3(static_cast<cudaStream_t>(stream)) ? 1 : 0;
}

trt_builder *trt_builder_create(trt_create_fn create, trt_logger *logger) {
    if (create == nullptr || logger == nullptr) return nullptr;
    nvinfer1::ILogger *base = logger;
    return static_cast<trt_builder *>(create(base, static_cast<int32_t>(NV_TENSORRT_VERSION)));
}

void trt_builder_destroy(trt_builder *builder) { delete as_cpp(builder); }

trt_network *trt_builder_create_network(trt_builder *builder, int32_t strongly_typed) {
    if (builder == nullptr) return nullptr;
    nvinfer1::NetworkDefinitionCreationFlags flags = 0;
#if TRT_SHIM_PRECISION_FLAGS
    if (strongly_typed != 0) {
        flags |= 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
    }
#else
    (void)strongly_typed; // TensorRT 11: every network is strongly typed.
#endif
    return reinterpret_cast<trt_network *>(as_cpp(builder)->createNetworkV2(flags));
}

void trt_network_destroy(trt_network *network) { delete as_cpp(network); }

trt_config *trt_builder_create_config(trt_builder *builder) {
    if (builder == nullptr) return nullptr;
    return reinterpret_cast<trt_config *>(as_cpp(builder)->createBuilderConfig());
}

void trt_config_destroy(trt_config *config) { delete as_cpp(config); }

void trt_config_set_workspace_limit(trt_config *config, size_t bytes) {
    if (config != nullptr) as_cpp(config)->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, bytes);
}

void trt_config_set_optimization_level(trt_config *config, int32_t level) {
    if (config != nullptr) as_cpp(config)->setBuilderOptimizationLevel(level);
}

int32_t trt_config_set_precision(trt_config *config, int32_t flags) {
    if (config == nullptr) return 0;
#if TRT_SHIM_PRECISION_FLAGS
// kFP16 and kBF16 are deprecated in 10.x in favour of strong typing, and still honoured.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    if ((flags & TRT_SHIM_PRECISION_FP16) != 0) as_cpp(config)->setFlag(nvinfer1::BuilderFlag::kFP16);
    if ((flags & TRT_SHIM_PRECISION_BF16) != 0) as_cpp(config)->setFlag(nvinfer1::BuilderFlag::kBF16);
#pragma GCC diagnostic pop
    return 1;
#else
    return flags == 0 ? 1 : 0;
#endif
}

int32_t trt_config_add_profile(trt_builder *builder, trt_config *config,
                               const trt_profile_shape *shapes, size_t count) {
    if (builder == nullptr || config == nullptr || (shapes == nullptr && count != 0)) return -1;
    nvinfer1::IOptimizationProfile *profile = as_cpp(builder)->createOptimizationProfile();
    if (profile == nullptr) return -1;
    for (size_t i = 0; i < count; ++i) {
        trt_profile_shape const &s = shapes[i];
        if (s.input_name == nullptr) return -1;
        if (!profile->setDimensions(s.input_name, nvinfer1::OptProfileSelector::kMIN, to_dims(s.min)) ||
            !profile->setDimensions(s.input_name, nvinfer1::OptProfileSelector::kOPT, to_dims(s.opt)) ||
            !profile->setDimensions(s.input_name, nvinfer1::OptProfileSelector::kMAX, to_dims(s.max))) {
            return -1;
        }
    }
    return as_cpp(config)->addOptimizationProfile(profile);
}

trt_timing_cache *trt_config_create_timing_cache(trt_config *config, const void *blob, size_t size) {
    if (config == nullptr || (blob == nullptr && size != 0)) return nullptr;
    // An empty cache is documented as (nullptr, 0).
    return reinterpret_cast<trt_timing_cache *>(as_cpp(config)->createTimingCache(size == 0 ? nullptr : blob, size));
}

int32_t trt_config_set_timing_cache(trt_config *config, const trt_timing_cache *cache) {
    if (config == nullptr || cache == nullptr) return 0;
    return as_cpp(config)->setTimingCache(*as_cpp(cache), false) ? 1 : 0;
}

trt_host_memory *trt_timing_cache_serialize(const trt_timing_cache *cache) {
    if (cache == nullptr) return nullptr;
    return reinterpret_cast<trt_host_memory *>(as_cpp(cache)->serialize());
}

void trt_timing_cache_destroy(trt_timing_cache *cache) { delete as_cpp(cache); }

trt_host_memory *trt_builder_build_serialized(trt_builder *builder, trt_network *network,
                                              trt_config *config) {
    if (builder == nullptr || network == nullptr || config == nullptr) return nullptr;
    return reinterpret_cast<trt_host_memory *>(
        as_cpp(builder)->buildSerializedNetwork(*as_cpp(network), *as_cpp(config)));
}

const void *trt_host_memory_data(const trt_host_memory *memory) {
    return memory == nullptr ? nullptr : as_cpp(memory)->data();
}

size_t trt_host_memory_size(const trt_host_memory *memory) {
    return memory == nullptr ? 0 : as_cpp(memory)->size();
}

void trt_host_memory_destroy(trt_host_memory *memory) { delete as_cpp(memory); }

trt_parser *trt_parser_create(trt_create_parser_fn create, trt_network *network, trt_logger *logger) {
    if (create == nullptr || network == nullptr || logger == nullptr) return nullptr;
    nvinfer1::ILogger *base = logger;
    return static_cast<trt_parser *>(
        create(as_cpp(network), base, static_cast<int32_t>(NV_ONNX_PARSER_VERSION)));
}

void trt_parser_destroy(trt_parser *parser) { delete as_cpp(parser); }

int32_t trt_parser_parse(trt_parser *parser, const void *model, size_t size, const char *path) {
    if (parser == nullptr || model == nullptr) return 0;
    return as_cpp(parser)->parse(model, size, path) ? 1 : 0;
}

int32_t trt_parser_num_errors(const trt_parser *parser) {
    return parser == nullptr ? 0 : as_cpp(parser)->getNbErrors();
}

int32_t trt_parser_error_at(const trt_parser *parser, int32_t index, trt_parser_error *out) {
    if (parser == nullptr || out == nullptr || index < 0 || index >= as_cpp(parser)->getNbErrors()) return 0;
    nvonnxparser::IParserError const *e = as_cpp(parser)->getError(index);
    if (e == nullptr) return 0;
    out->code = static_cast<int32_t>(e->code());
    out->node = e->node();
    out->desc = e->desc();
    out->node_name = e->nodeName();
    out->node_operator = e->nodeOperator();
    out->file = e->file();
    out->line = e->line();
    return 1;
}

} // extern "C"
