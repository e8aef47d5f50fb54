// A function of the quickstart: integration response with a greeting.
exports.main_handler = async (event, context) => {
  const name = (event.queryStringParameters && event.queryStringParameters.name) || 'world';
  return {
    isBase64Encoded: false,
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: `${event.stageVariables.greeting || 'hello'}, ${name}`,
      requestId: event.requestContext.requestId,
      function: context.function_name,
    }),
  };
};
