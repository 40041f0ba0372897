// placeholder: filled in by its owner
namespace dns01::flow {}
